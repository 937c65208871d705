/**
 * Changes to the CA store as one transaction: all of them or none, even across kill -9 or a power
 * cut. A certificate and its encrypted key are two files; an interrupted `pki rotate` must never
 * leave the new certificate beside the old key, nor an interrupted `pki rekey` half the store
 * encrypted to the old operators and half to the new.
 *
 *   pki/.meshfleet-txn/files/<path>   every new file, written and fsynced first
 *   pki/.meshfleet-txn/journal.new    the plan (paths to write, paths to delete), fsynced
 *   pki/.meshfleet-txn/journal        the same file renamed: the commit point
 *
 * Before the rename nothing in pki/ has changed and recovery rolls back (deletes the folder);
 * after it, recovery rolls forward: it moves every file still waiting in files/ into place and
 * deletes the deletions, which is idempotent, so a crash during recovery is recovered the same way.
 * The folder holds only what pki/ itself holds (public certificates and SOPS-encrypted files).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { UsageError } from '../errors';
import { displayPath, posixPath } from '../format/paths';

/** The transaction folder inside pki/ (ignored by git and by every pki/ reader). */
export const TXN_DIR = '.meshfleet-txn';
const FILES = 'files';
const PENDING = 'journal.new';
const COMMITTED = 'journal';

interface Journal {
  readonly writes: string[];
  readonly deletes: string[];
}

/** fsync a file or folder (folders: so that a rename or a new entry in it survives a power cut). */
function fsyncPath(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    fsyncSync(fd);
  } catch (e) {
    // Some file systems refuse fsync on a folder (EINVAL, EISDIR); the rename is still atomic there.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw e;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function writeDurably(path: string, content: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w', 0o644);
  try {
    const buf = Buffer.from(content, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A store-relative POSIX path that stays inside the store and outside the transaction folder. */
function checkedPath(path: string): string {
  const norm = posixPath(normalize(path));
  if (norm === '' || norm === '.' || norm.startsWith('../') || norm === '..' || norm.startsWith('/') || norm.split('/')[0] === TXN_DIR) {
    throw new Error(`not a path inside the CA store: ${JSON.stringify(path)}`);
  }
  return norm;
}

/**
 * Applies a set of pki/ changes as one transaction: all or nothing, even across kill -9.
 * `writes`: store-relative path → content; `deletes`: store-relative files or folders (folders left
 * empty by a deletion go too).
 */
export function commitPkiChanges(pkiDir: string, writes: ReadonlyMap<string, string>, deletes: readonly string[] = []): void {
  const txn = join(pkiDir, TXN_DIR);
  if (existsSync(txn)) {
    throw new UsageError(`${txn} holds an interrupted change to the CA store; run \`npm run synth\` (it completes or rolls back the change first), then try again`);
  }
  const journal: Journal = { writes: [...writes.keys()].map(checkedPath).sort(), deletes: [...new Set(deletes.map(checkedPath))].sort() };
  // Deletions run after the writes: none may remove a file this transaction writes.
  const overlap = journal.deletes.filter((d) => journal.writes.some((w) => w === d || w.startsWith(`${d}/`)));
  if (overlap.length > 0) throw new Error(`a path cannot be both written and deleted: ${overlap.join(', ')}`);
  mkdirSync(pkiDir, { recursive: true });
  try {
    const dirs = new Set<string>();
    for (const [path, content] of writes) {
      const target = join(txn, FILES, checkedPath(path));
      writeDurably(target, content);
      dirs.add(dirname(target));
    }
    writeDurably(join(txn, PENDING), `${JSON.stringify(journal, null, 2)}\n`);
    for (const d of dirs) fsyncPath(d);
    fsyncPath(txn);
    fsyncPath(pkiDir);
  } catch (e) {
    // Not committed: nothing in pki/ has changed; leave no half-written transaction behind.
    rmSync(txn, { recursive: true, force: true });
    throw e;
  }
  // The commit point: from here on the change happens, now or at the next recovery.
  renameSync(join(txn, PENDING), join(txn, COMMITTED));
  fsyncPath(txn);
  rollForward(pkiDir, journal);
}

/** Moves every waiting file into place and deletes the deletions; safe to repeat. */
function rollForward(pkiDir: string, journal: Journal): void {
  const txn = join(pkiDir, TXN_DIR);
  const dirs = new Set<string>();
  for (const path of journal.writes) {
    const from = join(txn, FILES, path);
    const to = join(pkiDir, path);
    if (!existsSync(from)) continue; // moved before an interruption
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
    dirs.add(dirname(to));
  }
  for (const path of journal.deletes) {
    // A file or a whole folder (a removed cluster's); then its parents, once empty.
    rmSync(join(pkiDir, path), { recursive: true, force: true });
    let dir = dirname(join(pkiDir, path));
    while (dir !== pkiDir && existsSync(dir) && readdirSync(dir).length === 0) {
      rmdirSync(dir);
      dir = dirname(dir);
    }
    dirs.add(dir);
  }
  for (const d of dirs) if (existsSync(d)) fsyncPath(d);
  rmSync(txn, { recursive: true, force: true });
  fsyncPath(pkiDir);
}

/** What an interrupted transaction in pkiDir is, without touching it; undefined when there is none. */
export function pendingPki(pkiDir: string): { committed: boolean; writes: number; deletes: number } | undefined {
  const txn = join(pkiDir, TXN_DIR);
  if (!existsSync(txn)) return undefined;
  const journal = readJournal(pkiDir);
  return journal ? { committed: true, writes: journal.writes.length, deletes: journal.deletes.length } : { committed: false, writes: 0, deletes: 0 };
}

function readJournal(pkiDir: string): Journal | undefined {
  const path = join(pkiDir, TXN_DIR, COMMITTED);
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    // The journal was fsynced before it was renamed: a broken one was not written by meshfleet.
    throw new UsageError(`${path} is not a meshfleet journal (${(e as Error).message}); inspect ${join(pkiDir, TXN_DIR)} and remove it by hand`);
  }
  const j = parsed as Partial<Journal>;
  if (!Array.isArray(j.writes) || !Array.isArray(j.deletes)) {
    throw new UsageError(`${path} is not a meshfleet journal (no writes/deletes lists); inspect ${join(pkiDir, TXN_DIR)} and remove it by hand`);
  }
  return { writes: j.writes.map((p) => checkedPath(String(p))), deletes: j.deletes.map((p) => checkedPath(String(p))) };
}

/**
 * Completes or rolls back an interrupted transaction found in pkiDir; returns a sentence to print, or
 * undefined when there was none. `trustRoot`: the store's fleet-wide files (the root key and
 * certificate, the trust anchor, the ClusterMesh CA; the CA profile's `files` without a cluster).
 * No meshfleet command deletes one, so a journal that would is not rolled forward: it was altered.
 */
export function recoverPki(pkiDir: string, trustRoot: readonly string[] = []): string | undefined {
  const txn = join(pkiDir, TXN_DIR);
  if (!existsSync(txn)) return undefined;
  const label = displayPath(pkiDir);
  const journal = readJournal(pkiDir);
  const rootDeletes = journal ? trustRoot.map(checkedPath).filter((f) => journal.deletes.some((d) => d === f || f.startsWith(`${d}/`))) : [];
  if (rootDeletes.length > 0) {
    throw new UsageError(`${join(label, TXN_DIR, COMMITTED)} would delete the root of trust (${rootDeletes.map((f) => `${label}/${f}`).join(', ')}); ` +
      'no meshfleet command deletes it, so this journal was altered or is not meshfleet\'s. Nothing was changed: ' +
      `inspect ${join(label, TXN_DIR)}, remove it by hand (\`rm -r ${join(label, TXN_DIR)}\`), and check \`git status ${label}\``);
  }
  if (!journal) {
    const staged = hasFiles(txn);
    rmSync(txn, { recursive: true, force: true });
    fsyncPath(pkiDir);
    // Its removal was interrupted after the journal went: every file was in place already.
    if (!staged) return `removed the empty ${TXN_DIR} folder an interrupted command left in ${label}`;
    return `rolled back an interrupted change to ${label} that had not been committed: ${label} is as it was before that command; run it again`;
  }
  rollForward(pkiDir, journal);
  return `completed an interrupted change to ${label} (${journal.writes.length} file(s) written` +
    `${journal.deletes.length > 0 ? `, ${journal.deletes.length} deleted` : ''}): review it with \`git status ${label}\` and commit it`;
}

function hasFiles(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? hasFiles(join(dir, e.name)) : true));
}

/** For commands that must not write: an error when pkiDir holds an interrupted transaction. */
export function assertNoPendingPki(pkiDir: string, holder?: string): void {
  const pending = pendingPki(pkiDir);
  if (!pending) return;
  const label = displayPath(pkiDir);
  if (holder) {
    throw new UsageError(`${label} is being changed by ${holder} right now; run this again when it has finished`);
  }
  throw new UsageError(`${label} holds an interrupted change (${join(label, TXN_DIR)}, ${pending.committed
    ? `committed: ${pending.writes} file(s) still to move into place, so it will be completed`
    : 'not committed: it will be rolled back'}). This command only reads, so it does not repair it: ` +
    'run `npm run synth` (every command that writes pki/ completes or rolls back such a change first), then run this again');
}
