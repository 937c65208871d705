/**
 * One writing meshfleet command per repository at a time: `.meshfleet.lock` beside fleet.yaml,
 * created atomically with its content (hard link, else O_EXCL), holding the holder's pid, command
 * and host. A second writing command refuses at once, naming the holder; a lock left by a process
 * that is gone (same host, pid not running) is taken over with a note. Commands that only read
 * (check, diff, synth --check, pki status) take no lock.
 */
import { closeSync, linkSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { displayPath } from '../format/paths';

export const LOCK_FILE = '.meshfleet.lock';

export interface LockHolder {
  readonly pid: number;
  readonly command: string;
  readonly hostname: string;
}

export interface Lock {
  readonly path: string;
  /** A sentence about a stale lock that was taken over, if there was one. */
  readonly note?: string;
  release(): void;
}

/**
 * Whether `pid` is a running process on this host (EPERM: running, as another user). On Linux a
 * zombie (killed, not yet reaped by its parent: common where the container's init does not reap,
 * CI runners among them) still answers signal 0 but holds nothing: /proc/<pid>/stat says Z (or X).
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  if (process.platform !== 'linux') return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z' || state === 'X';
  } catch {
    return false;
  }
}

/** The paths of the locks this process holds now: a lock naming our pid that is not here is stale. */
const held = new Set<string>();

type LockFile =
  | { readonly kind: 'holder'; readonly holder: LockHolder }
  | { readonly kind: 'gone' }
  /** Not a lock meshfleet writes: `why` says what it holds instead. */
  | { readonly kind: 'foreign'; readonly why: string };

function readLock(path: string): LockFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' };
    return { kind: 'foreign', why: `cannot be read (${code ?? String(e)})` };
  }
  if (text.trim() === '') return { kind: 'foreign', why: 'is empty' };
  let h: Partial<LockHolder>;
  try {
    h = JSON.parse(text) as Partial<LockHolder>;
  } catch {
    return { kind: 'foreign', why: `holds ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text.trimEnd())}, not the pid, command and host meshfleet writes` };
  }
  if (h === null || typeof h !== 'object' || typeof h.pid !== 'number' || typeof h.command !== 'string' || typeof h.hostname !== 'string') {
    return { kind: 'foreign', why: 'lacks the pid, command and host meshfleet writes' };
  }
  if (!Number.isInteger(h.pid) || h.pid < 1) return { kind: 'foreign', why: `names pid ${h.pid}, which no process has` };
  // pid 1 is the init of a host or container: always running, never a meshfleet command unless it is us.
  if (h.pid === 1 && process.pid !== 1) return { kind: 'foreign', why: 'names pid 1, the init process, which never runs meshfleet' };
  return { kind: 'holder', holder: h as LockHolder };
}

function readHolder(path: string): LockHolder | undefined {
  const f = readLock(path);
  return f.kind === 'holder' ? f.holder : undefined;
}

/** Whether the holder is gone: same host, and its pid not running, or our own pid in a lock we do not hold. */
function stale(path: string, h: LockHolder): boolean {
  if (h.hostname !== hostname()) return false;
  if (h.pid === process.pid) return !held.has(path);
  return !alive(h.pid);
}

const describeHolder = (h: LockHolder): string =>
  `another meshfleet command (${h.command}, pid ${h.pid}${h.hostname === hostname() ? '' : ` on ${h.hostname}`})`;

const foreignMessage = (path: string, why: string): string =>
  `${displayPath(path)} is not a meshfleet lock: it ${why}; if no meshfleet command is running in this repository, delete it`;

/**
 * Creates `path` holding `content`, atomically: false when it exists. The content is written to a
 * file of this process's own first and hard-linked into place (link fails when the target exists),
 * so a second command never reads a lock that exists but is still empty. Where the file system
 * has no hard links, O_EXCL and a write.
 */
function create(path: string, content: string): boolean {
  const tmp = `${path}.${process.pid}.meshfleet-tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}


/** The holder of the lock in `dir`, when a live meshfleet process holds it (for read-only commands' messages). */
export function lockHolder(dir: string): string | undefined {
  const path = join(dir, LOCK_FILE);
  const f = readLock(path);
  // No lock, or a file that is not a meshfleet lock: nothing a read-only command must wait for.
  if (f.kind !== 'holder' || stale(path, f.holder)) return undefined;
  return describeHolder(f.holder);
}

/**
 * Takes the repository's lock or throws a UsageError naming its holder. The lock is released by
 * `release()` (call it in finally), and on SIGINT, SIGTERM and SIGHUP, which then end the process.
 */
export function acquireLock(dir: string, command: string): Lock {
  const path = join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, command, hostname: hostname() };
  const content = `${JSON.stringify(mine)}\n`;
  let acquired = false;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    for (const [sig, fn] of handlers) process.off(sig, fn);
    process.off('exit', release);
    // Only our own lock: never one a later command took over.
    if (acquired) held.delete(path);
    try {
      if (acquired && readFileSync(path, 'utf8') === content) unlinkSync(path);
    } catch {
      // already gone
    }
  };
  // The handlers come first: a signal that arrives the moment the lock exists must still remove it.
  const handlers: [NodeJS.Signals, () => void][] = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((sig) => [sig, () => {
    release();
    process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
  }]);
  for (const [sig, fn] of handlers) process.on(sig, fn);
  process.on('exit', release);
  let note: string | undefined;
  try {
    acquired = create(path, content);
    if (!acquired) {
      const f = readLock(path);
      if (f.kind === 'foreign') throw new UsageError(foreignMessage(path, f.why));
      const holder = f.kind === 'holder' ? f.holder : undefined;
      // gone between create and read: the holder just released it; one more try.
      acquired = holder === undefined ? create(path, content) : stale(path, holder) && takeOver(path, holder, content);
      if (!acquired) {
        const who = holder ? describeHolder(holder) : 'another meshfleet command';
        throw new UsageError(`${who} is working in this repository; wait for it, or if it is gone delete ${displayPath(path)}`);
      }
      if (holder) note = `note: took over ${displayPath(path)} from ${holder.command} (pid ${holder.pid}), which is no longer running`;
    }
    held.add(path);
  } catch (e) {
    release();
    throw e;
  }
  return { path, ...(note ? { note } : {}), release };
}

/**
 * Replaces a stale lock. A second file, created with O_EXCL, makes the take-over itself exclusive:
 * two commands that both found the same dead holder cannot both delete the lock.
 */
function takeOver(path: string, stale: LockHolder, content: string): boolean {
  const guard = `${path}.takeover`;
  if (!create(guard, content)) {
    // A guard left by a command killed in the middle of a take-over (a window of microseconds).
    const left = readHolder(guard);
    if (!left || left.hostname !== stale.hostname || (left.pid !== process.pid && alive(left.pid))) return false;
    unlinkSync(guard);
    if (!create(guard, content)) return false;
  }
  try {
    const now = readHolder(path);
    if (!now || now.pid !== stale.pid || now.hostname !== stale.hostname) return false;
    unlinkSync(path);
    return create(path, content);
  } finally {
    unlinkSync(guard);
  }
}
