/** Running the built CLI (what `npm run` runs) as a real process, and killing it with SIGKILL when a test says so. */
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers';

export const RUN = join(ROOT, 'scripts', 'run.mjs');

export interface Run { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; ms: number }

/** When to kill: given the child, arms its trigger and returns the disarm. */
export type Killer = (child: ReturnType<typeof spawn>) => () => void;

/** Runs the built CLI in `cwd` with `env` over the test's; with `kill`, sends SIGKILL when it says so. */
export function runBuilt(args: string[], cwd: string, env: NodeJS.ProcessEnv, kill?: Killer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [RUN, ...args], { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const cleanup = kill?.(child);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      cleanup?.();
      resolve({ status, signal, stdout, stderr, ms: Date.now() - start });
    });
  });
}

/** SIGKILL after `ms`. */
export const after = (ms: number): Killer => (child) => {
  const t = setTimeout(() => child.kill('SIGKILL'), ms);
  return () => clearTimeout(t);
};

/** SIGKILL `ms` after an entry matching `name` appears in `dir` (the command started writing). */
export const onceWriting = (dir: string, name: (entry: string) => boolean, ms: number): Killer => (child) => {
  let timer: NodeJS.Timeout | undefined;
  const w = watch(dir, (_event, entry) => {
    if (timer === undefined && entry && name(entry.toString())) timer = setTimeout(() => child.kill('SIGKILL'), ms);
  });
  return () => {
    w.close();
    if (timer) clearTimeout(timer);
  };
};
