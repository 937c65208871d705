/** The operator's age identities, found the way sops finds them: SOPS_AGE_KEY or SOPS_AGE_KEY_FILE. */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { UsageError } from '../errors';
import { fileKind } from '../format/paths';

/** Whether the environment names an operator identity the way sops finds one (without reading it). */
export const identityNamed = (env: NodeJS.ProcessEnv = process.env): boolean => !!(env.SOPS_AGE_KEY || env.SOPS_AGE_KEY_FILE);

export function operatorIdentities(env: NodeJS.ProcessEnv = process.env): string[] {
  const texts: string[] = [];
  if (env.SOPS_AGE_KEY) texts.push(env.SOPS_AGE_KEY);
  const file = env.SOPS_AGE_KEY_FILE;
  if (file) texts.push(readKeyFile(file));
  const keys = texts.flatMap((t) => t.split(/\r?\n/)).map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-'));
  if (keys.length === 0) {
    throw new UsageError('this needs an operator\'s age identity: set SOPS_AGE_KEY_FILE to the file `age-keygen` wrote (or SOPS_AGE_KEY to its AGE-SECRET-KEY-... line)');
  }
  return keys;
}

/** An identity file `age-keygen` writes is a few hundred bytes; a file of many keys stays far below this. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * The text of SOPS_AGE_KEY_FILE, which must be a regular file of at most MAX_KEY_FILE_BYTES. It is
 * opened without blocking and checked on the open descriptor before anything is read: a FIFO would
 * block the read until a writer comes (with signals deferred, so Ctrl-C would not end it), and a
 * device such as /dev/zero would be read until memory runs out.
 */
function readKeyFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which does not exist`);
    if (code === 'EACCES' || code === 'EPERM') throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which this user may not read: check its owner and mode (age-keygen writes it 0600 for you)`);
    throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which cannot be opened (${code ?? String(e)})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which is ${fileKind(stat)}: point it at the identity file \`age-keygen\` wrote`);
    }
    if (stat.size > MAX_KEY_FILE_BYTES) {
      throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which is ${stat.size} bytes; an age identity file is at most ${MAX_KEY_FILE_BYTES} bytes: point it at the identity file \`age-keygen\` wrote`);
    }
    return readFileSync(fd, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`SOPS_AGE_KEY_FILE points at ${file}, which cannot be read (${code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
}
