/** The repository lock in-process: exclusive, names its holder, takes over only what is safely dead. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, LOCK_FILE, lockHolder } from '../../lib/output/lock';
import { tempDir } from '../helpers';

/** The pid of a process that has exited. */
const deadPid = (): number => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const holder = (pid: number, command: string, host = hostname()): string => `${JSON.stringify({ pid, command, hostname: host })}\n`;

describe('acquireLock', () => {
  it('is exclusive, names its holder, and is released', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'npm run pki -- rotate kt-k2p');
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toEqual({ pid: process.pid, command: 'npm run pki -- rotate kt-k2p', hostname: hostname() });
    expect(lock.note).toBeUndefined();
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(new RegExp(`^another meshfleet command \\(npm run pki -- rotate kt-k2p, pid ${process.pid}\\) is working in this repository; wait for it, or if it is gone delete \\S*\\.meshfleet\\.lock$`));
    expect(lockHolder(dir)).toBe(`another meshfleet command (npm run pki -- rotate kt-k2p, pid ${process.pid})`);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(lockHolder(dir)).toBeUndefined();
    acquireLock(dir, 'npm run synth').release();
  });

  it('takes over a lock whose process is gone (also when a take-over was itself interrupted), with a note', () => {
    const dir = tempDir();
    const pid = deadPid();
    writeFileSync(join(dir, LOCK_FILE), holder(pid, 'npm run synth'));
    expect(lockHolder(dir)).toBeUndefined();
    writeFileSync(join(dir, `${LOCK_FILE}.takeover`), holder(deadPid(), 'npm run link'));
    const lock = acquireLock(dir, 'npm run pki -- rekey');
    expect(lock.note).toMatch(new RegExp(`^note: took over \\S*\\.meshfleet\\.lock from npm run synth \\(pid ${pid}\\), which is no longer running$`));
    expect(existsSync(join(dir, `${LOCK_FILE}.takeover`))).toBe(false);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  it('never takes over a lock of another host, nor an unreadable one', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), holder(deadPid(), 'npm run synth', 'build-agent-7'));
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(/^another meshfleet command \(npm run synth, pid \d+ on build-agent-7\) is working in this repository/);
    writeFileSync(join(dir, LOCK_FILE), '{"pid":');
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(/^\S*\.meshfleet\.lock is not a meshfleet lock: it holds "\{\\"pid\\":", not the pid, command and host meshfleet writes; if no meshfleet command is running in this repository, delete it$/);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('{"pid":');
  });

  it.each([
    ['garbage', 'hello\n', /it holds "hello", not the pid, command and host meshfleet writes/],
    ['an empty file', '', /it is empty/],
    ['JSON without a holder', '{"owner":"ci"}\n', /it lacks the pid, command and host meshfleet writes/],
    ['pid 1 (init: always running)', holder(1, 'npm run synth'), /it names pid 1, the init process, which never runs meshfleet/],
    ['pid 0', holder(0, 'npm run synth'), /it names pid 0, which no process has/],
  ])('a lock file holding %s is not a meshfleet lock: says which, and leaves it', (_what, content, why) => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), content);
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(why);
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(/\.meshfleet\.lock is not a meshfleet lock: .*; if no meshfleet command is running in this repository, delete it$/);
    expect(lockHolder(dir), 'no live meshfleet command holds it').toBeUndefined();
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe(content);
  });

  it.runIf(process.platform === 'linux')('a holder that is a zombie (killed, never reaped) holds nothing: taken over', async () => {
    const dir = tempDir();
    // The child's parent execs `sleep`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 300 & echo $!; exec sleep 300']);
    try {
      const pid = await new Promise<number>((res) => parent.stdout.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 200 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
      expect(() => process.kill(pid, 0), 'a zombie still answers signal 0').not.toThrow();
      writeFileSync(join(dir, LOCK_FILE), holder(pid, 'npm run synth'));
      expect(lockHolder(dir)).toBeUndefined();
      const lock = acquireLock(dir, 'npm run pki -- rotate kt-k2p');
      expect(lock.note).toMatch(new RegExp(`^note: took over \\S*\\.meshfleet\\.lock from npm run synth \\(pid ${pid}\\), which is no longer running$`));
      lock.release();
    } finally {
      parent.kill('SIGKILL');
    }
  });

  it('a lock naming this process that it does not hold is stale (a pid reused after a restart)', () => {
    const dir = tempDir();
    writeFileSync(join(dir, LOCK_FILE), holder(process.pid, 'npm run synth'));
    expect(lockHolder(dir)).toBeUndefined();
    const lock = acquireLock(dir, 'npm run link');
    expect(lock.note).toMatch(new RegExp(`took over \\S*\\.meshfleet\\.lock from npm run synth \\(pid ${process.pid}\\)`));
    // While held, it is ours and alive.
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(/is working in this repository/);
    lock.release();
  });

  it('does not remove a lock that is no longer its own', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'npm run synth');
    writeFileSync(join(dir, LOCK_FILE), holder(process.pid + 1, 'npm run link'));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
