/**
 * One kubectl call of `npm run link` or `npm run preflight`: the output, or why it failed. A missing kubectl is a clear
 * UsageError (not `spawnSync kubectl ENOENT`); a failing call is reported per cluster by the caller.
 */
import { spawnSync } from 'node:child_process';
import { UsageError } from '../errors';

export interface KubectlResult {
  readonly ok: boolean;
  readonly out: string;
  readonly err: string;
}

/** `command` names what reads the clusters, for the message when kubectl is missing. */
export function kubectl(bin: string, args: string[], command = 'npm run link'): KubectlResult {
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 60_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new UsageError(`${bin} not found on PATH: install kubectl (or set KUBECTL to its path); \`${command}\` reads the clusters through it`);
  }
  if (r.error) return { ok: false, out: '', err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: r.stderr.trim() };
}
