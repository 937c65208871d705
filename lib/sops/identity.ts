/** The operator's age identities, found the way sops finds them: SOPS_AGE_KEY or SOPS_AGE_KEY_FILE. */
import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors';

/** Whether the environment names an operator identity the way sops finds one (without reading it). */
export const identityNamed = (env: NodeJS.ProcessEnv = process.env): boolean => !!(env.SOPS_AGE_KEY || env.SOPS_AGE_KEY_FILE);

export function operatorIdentities(env: NodeJS.ProcessEnv = process.env): string[] {
  const texts: string[] = [];
  if (env.SOPS_AGE_KEY) texts.push(env.SOPS_AGE_KEY);
  const file = env.SOPS_AGE_KEY_FILE;
  if (file) {
    if (!existsSync(file)) throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which does not exist`);
    texts.push(readFileSync(file, 'utf8'));
  }
  const keys = texts.flatMap((t) => t.split(/\r?\n/)).map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (keys.length === 0) {
    throw new UsageError('this needs an operator\'s age identity: set SOPS_AGE_KEY_FILE to the file `age-keygen` wrote (or SOPS_AGE_KEY to its AGE-SECRET-KEY-... line)');
  }
  return keys;
}
