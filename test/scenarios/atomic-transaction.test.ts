/**
 * commitPkiChanges / recoverPki on crafted interrupted states, one per phase of a transaction:
 * files being staged, journal written but not committed, committed with none / some / all files
 * moved, and the transaction folder half removed. After recovery the store is always entirely the
 * old one or entirely the new one, and recovering again changes nothing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileReader } from '../../lib/pki/files';
import { assertNoPendingPki, commitPkiChanges, pendingPki, recoverPki, TXN_DIR } from '../../lib/pki/transaction';
import { fixtureDir, hashTree, runMain, tempDir } from '../helpers';

const OLD = new Map([
  ['root-cert.pem', 'root v1\n'],
  ['a/ca-cert.pem', 'cert a v1\n'],
  ['a/cacerts.sops.yaml', 'key a v1\n'],
  ['links/b.sops.yaml', 'link b v1\n'],
]);
const WRITES = new Map([
  ['a/ca-cert.pem', 'cert a v2\n'],
  ['a/cacerts.sops.yaml', 'key a v2\n'],
  ['c/ca-cert.pem', 'cert c v1\n'],
]);
const DELETES = ['links/b.sops.yaml'];

function store(): string {
  const dir = join(tempDir(), 'pki');
  for (const [p, c] of OLD) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
  return dir;
}

/** The store's files, the transaction folder left out. */
function contents(dir: string): Record<string, string> {
  return Object.fromEntries(Object.keys(hashTree(dir)).filter((p) => !p.startsWith(`${TXN_DIR}/`)).map((p) => [p, readFileSync(join(dir, p), 'utf8')]));
}

const before = (): Record<string, string> => Object.fromEntries([...OLD].sort());
const after = (): Record<string, string> => {
  const m = new Map(OLD);
  for (const [p, c] of WRITES) m.set(p, c);
  for (const d of DELETES) m.delete(d);
  return Object.fromEntries([...m].sort());
};

/** The transaction folder as commitPkiChanges leaves it at each phase (same layout, written by hand). */
function stage(dir: string, phase: 'staging' | 'journal-written' | 'committed', moved = 0): void {
  const txn = join(dir, TXN_DIR);
  const paths = [...WRITES.keys()].sort();
  const upTo = phase === 'staging' ? 2 : paths.length;
  for (const p of paths.slice(0, upTo)) {
    mkdirSync(join(txn, 'files', p, '..'), { recursive: true });
    writeFileSync(join(txn, 'files', p), WRITES.get(p)!);
  }
  if (phase === 'staging') return;
  writeFileSync(join(txn, 'journal.new'), JSON.stringify({ writes: paths, deletes: DELETES }));
  if (phase === 'journal-written') return;
  renameSync(join(txn, 'journal.new'), join(txn, 'journal'));
  for (const p of paths.slice(0, moved)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    renameSync(join(txn, 'files', p), join(dir, p));
  }
}

describe('commitPkiChanges', () => {
  it('writes and deletes everything and leaves no transaction folder', () => {
    const dir = store();
    commitPkiChanges(dir, WRITES, DELETES);
    expect(contents(dir)).toEqual(after());
    expect(existsSync(join(dir, TXN_DIR))).toBe(false);
    expect(recoverPki(dir)).toBeUndefined();
  });

  it('deletes whole folders, and folders a deletion leaves empty', () => {
    const dir = store();
    commitPkiChanges(dir, new Map([['c/ca-cert.pem', 'c\n']]), ['a', 'links/b.sops.yaml']);
    expect(contents(dir)).toEqual({ 'c/ca-cert.pem': 'c\n', 'root-cert.pem': 'root v1\n' });
    expect(existsSync(join(dir, 'a'))).toBe(false);
    expect(existsSync(join(dir, 'links'))).toBe(false);
    expect(existsSync(dir)).toBe(true);
    expect(() => commitPkiChanges(dir, new Map([['c/new.pem', 'x']]), ['c'])).toThrow(/a path cannot be both written and deleted: c$/);
  });

  it('creates the store folder when it does not exist yet', () => {
    const dir = join(tempDir(), 'pki');
    commitPkiChanges(dir, new Map([['links/x.sops.yaml', 'x\n']]));
    expect(contents(dir)).toEqual({ 'links/x.sops.yaml': 'x\n' });
  });

  it('refuses to start while an interrupted transaction waits, naming the command that repairs it', () => {
    const dir = store();
    stage(dir, 'committed', 1);
    expect(() => commitPkiChanges(dir, new Map([['x.pem', 'x']]))).toThrow(/holds an interrupted change to the CA store; run `npm run synth` \(it completes or rolls back the change first\), then try again/);
  });

  it('refuses paths outside the store or inside the transaction folder', () => {
    const dir = store();
    expect(() => commitPkiChanges(dir, new Map([['../escape.pem', 'x']]))).toThrow(/not a path inside the CA store: "..\/escape.pem"/);
    expect(() => commitPkiChanges(dir, new Map([[`${TXN_DIR}/journal`, 'x']]))).toThrow(/not a path inside the CA store/);
    expect(() => commitPkiChanges(dir, new Map([['/etc/passwd', 'x']]))).toThrow(/not a path inside the CA store/);
    expect(contents(dir)).toEqual(before());
    expect(existsSync(join(dir, TXN_DIR))).toBe(false);
  });

  it('rolls back by itself when staging fails (nothing changed, no transaction folder left)', () => {
    const dir = store();
    // A content that cannot be written makes staging fail after the first file.
    expect(() => commitPkiChanges(dir, new Map([['a/ca-cert.pem', 'new'], ['b.pem', undefined as unknown as string]]))).toThrow();
    expect(existsSync(join(dir, TXN_DIR))).toBe(false);
    expect(contents(dir)).toEqual(before());
  });
});

describe('recoverPki', () => {
  it('does nothing and says nothing when there is no transaction', () => {
    const dir = store();
    expect(recoverPki(dir)).toBeUndefined();
    expect(recoverPki(join(tempDir(), 'no-such-pki'))).toBeUndefined();
    expect(contents(dir)).toEqual(before());
  });

  for (const phase of ['staging', 'journal-written'] as const) {
    it(`rolls back a transaction interrupted while ${phase === 'staging' ? 'staging files' : 'the journal was not yet committed'}`, () => {
      const dir = store();
      stage(dir, phase);
      expect(pendingPki(dir)).toEqual({ committed: false, writes: 0, deletes: 0 });
      expect(recoverPki(dir)).toMatch(/^rolled back an interrupted change to \S*pki that had not been committed: \S*pki is as it was before that command; run it again$/);
      expect(contents(dir)).toEqual(before());
      expect(existsSync(join(dir, TXN_DIR))).toBe(false);
      expect(recoverPki(dir)).toBeUndefined();
    });
  }

  for (const moved of [0, 1, 3]) {
    it(`rolls forward a committed transaction with ${moved} of 3 files already moved`, () => {
      const dir = store();
      stage(dir, 'committed', moved);
      expect(pendingPki(dir)).toEqual({ committed: true, writes: 3, deletes: 1 });
      expect(recoverPki(dir)).toMatch(/^completed an interrupted change to \S*pki \(3 file\(s\) written, 1 deleted\): review it with `git status \S*pki` and commit it$/);
      expect(contents(dir)).toEqual(after());
      expect(existsSync(join(dir, TXN_DIR))).toBe(false);
    });
  }

  it('completes a roll-forward that was itself interrupted after the deletions (idempotent)', () => {
    const dir = store();
    stage(dir, 'committed', 3);
    rmSync(join(dir, 'links/b.sops.yaml'));
    expect(recoverPki(dir)).toMatch(/^completed an interrupted change/);
    expect(contents(dir)).toEqual(after());
  });

  it('removes a transaction folder whose removal was interrupted after its journal went (every file already in place)', () => {
    const dir = store();
    commitPkiChanges(dir, WRITES, DELETES);
    mkdirSync(join(dir, TXN_DIR, 'files', 'a'), { recursive: true });
    expect(recoverPki(dir)).toMatch(/^removed the empty \.meshfleet-txn folder an interrupted command left in \S*pki$/);
    expect(contents(dir)).toEqual(after());
    expect(existsSync(join(dir, TXN_DIR))).toBe(false);
  });

  it('refuses a journal meshfleet did not write, naming it', () => {
    const dir = store();
    mkdirSync(join(dir, TXN_DIR));
    writeFileSync(join(dir, TXN_DIR, 'journal'), '{"writes": "a"}');
    expect(() => recoverPki(dir)).toThrow(/journal is not a meshfleet journal \(no writes\/deletes lists\); inspect .*\.meshfleet-txn and remove it by hand/);
    writeFileSync(join(dir, TXN_DIR, 'journal'), '{"writes": ["../../x"], "deletes": []}');
    expect(() => recoverPki(dir)).toThrow(/not a path inside the CA store/);
    expect(contents(dir)).toEqual(before());
  });

  it('refuses a committed journal that would delete the root of trust, changing nothing', () => {
    for (const deletes of [['root-cert.pem'], ['links/b.sops.yaml', 'root-cert.pem']]) {
      const dir = store();
      mkdirSync(join(dir, TXN_DIR, 'files'), { recursive: true });
      writeFileSync(join(dir, TXN_DIR, 'journal'), JSON.stringify({ writes: [], deletes }));
      expect(() => recoverPki(dir, ['root-cert.pem'])).toThrow(/journal would delete the root of trust \(\S*pki\/root-cert\.pem\); no meshfleet command deletes it, so this journal was altered .* Nothing was changed: inspect \S*\.meshfleet-txn, remove it by hand/);
      expect(contents(dir)).toEqual(before());
      expect(existsSync(join(dir, TXN_DIR, 'journal'))).toBe(true);
      // Without the root named it is an ordinary journal (the unit's contract), rolled forward.
      expect(recoverPki(dir)).toMatch(/^completed an interrupted change/);
    }
  });

  it('synth and pki rekey refuse a journal deleting the root key, exit 1, the store untouched', async () => {
    const dir = fixtureDir();
    const pki = join(dir, 'pki');
    mkdirSync(join(pki, TXN_DIR, 'files'), { recursive: true });
    writeFileSync(join(pki, TXN_DIR, 'journal'), JSON.stringify({ writes: [], deletes: ['root-key.sops.yaml'] }));
    const tree = hashTree(dir);
    for (const argv of [['--fleet', join(dir, 'fleet.yaml')], ['pki', 'rekey', '--fleet', join(dir, 'fleet.yaml')]]) {
      const r = await runMain(argv);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(/would delete the root of trust \(\S*pki\/root-key\.sops\.yaml\)/);
      expect(r.err).not.toMatch(/\n\s+at /);
      expect(hashTree(dir)).toEqual(tree);
    }
  });
});

describe('read-only commands', () => {
  it('report an interrupted transaction instead of repairing it, saying what the repair will do', () => {
    const committed = store();
    stage(committed, 'committed', 1);
    expect(() => assertNoPendingPki(committed)).toThrow(/pki holds an interrupted change \(\S*pki\/\.meshfleet-txn, committed: 3 file\(s\) still to move into place, so it will be completed\)\. This command only reads, so it does not repair it: run `npm run synth` \(every command that writes pki\/ completes or rolls back such a change first\), then run this again/);
    const uncommitted = store();
    stage(uncommitted, 'staging');
    expect(() => assertNoPendingPki(uncommitted)).toThrow(/\(\S*pki\/\.meshfleet-txn, not committed: it will be rolled back\)/);
    expect(() => assertNoPendingPki(uncommitted, 'another meshfleet command (npm run pki -- rekey, pid 42)')).toThrow(/pki is being changed by another meshfleet command \(npm run pki -- rekey, pid 42\) right now; run this again when it has finished/);
    expect(contents(committed)).not.toEqual(after());
    expect(existsSync(join(committed, TXN_DIR))).toBe(true);
  });

  it('never read the transaction folder through the store reader', () => {
    const dir = store();
    stage(dir, 'committed', 0);
    const read = fileReader(dir);
    expect(read(`${TXN_DIR}/files/c/ca-cert.pem`)).toBeUndefined();
    expect(read('a/ca-cert.pem')).toBe('cert a v1\n');
  });
});
