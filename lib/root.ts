/**
 * The project root (the folder holding package.json, imports/ and node_modules/), found by walking
 * up from this module: the same answer whether the code runs from source (tsx, vitest) or from the
 * bundle in build/ (npm run synth).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`meshfleet: no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** meshfleet's own version (package.json), for `--version` and what `init` pins. */
export const meshfleetVersion = (): string => (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
