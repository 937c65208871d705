/** Helpers every mesh's CA store uses: encrypted files, reading a store, recipient sets. */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors';
import { toYaml } from '../render/yaml';
import { encryptObject, type Tree } from '../sops/sops';

/** Reads a store-relative path; undefined when the file does not exist. */
export type FileReader = (path: string) => string | undefined;

export function fileReader(dir: string): FileReader {
  return (path) => {
    const full = join(dir, path);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  };
}

/** A SOPS-encrypted object as file text: header comment + canonical YAML. */
export async function encryptedFile(header: string, obj: Tree, recipients: readonly string[], now?: Date): Promise<string> {
  return header + toYaml(await encryptObject(obj, recipients, now));
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** A certificate of the store, or a UsageError naming the file when it is not one. */
export function readCert(pem: string, label: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new UsageError(`${label} is not a PEM certificate (${(e as Error).message}): restore it from git (\`git checkout -- ${label}\`)`);
  }
}

/** A SOPS-encrypted object of the store, or a UsageError naming the file when it is not one. */
export function readSopsFile(text: string, label: string): Tree {
  let obj: unknown;
  try {
    obj = parse(text);
  } catch (e) {
    throw new UsageError(`${label} is not valid YAML (${(e as Error).message.split('\n')[0]}): it may be truncated; restore it from git (\`git checkout -- ${label}\`)`);
  }
  const sops = (obj as { sops?: { age?: unknown[]; mac?: unknown } } | null)?.sops;
  if (!obj || typeof obj !== 'object' || !sops || !Array.isArray(sops.age) || sops.age.length === 0 || typeof sops.mac !== 'string') {
    throw new UsageError(`${label} is not a SOPS file encrypted with age (no sops.age recipients or MAC): restore it from git (\`git checkout -- ${label}\`)`);
  }
  return obj as Tree;
}
