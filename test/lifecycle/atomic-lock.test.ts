/** The repository lock in-process: exclusive, names its holder, takes over only what is safely dead. */
import { spawnSync } from 'node:child_process';
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
    expect(() => acquireLock(dir, 'npm run synth')).toThrow(/^another meshfleet command is working in this repository; wait for it, or if it is gone delete \S*\.meshfleet\.lock$/);
    expect(readFileSync(join(dir, LOCK_FILE), 'utf8')).toBe('{"pid":');
  });

  it('does not remove a lock that is no longer its own', () => {
    const dir = tempDir();
    const lock = acquireLock(dir, 'npm run synth');
    writeFileSync(join(dir, LOCK_FILE), holder(process.pid + 1, 'npm run link'));
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
  });
});
