/** Helpers every mesh's CA store uses: encrypted files, reading a store, recipient sets. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
