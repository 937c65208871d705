/**
 * Golden output trees of the example fleets in examples/: each `examples/<name>.yaml` is rendered
 * with its own CA store `examples/pki/<name>/` (when its mesh keeps one; committed; keys SOPS-encrypted to example
 * recipients nobody holds) in a temporary folder, exactly as `npm run synth` renders a repository,
 * and compared with `test/golden/<name>/` (the dist/ tree plus the generated .sops.yaml).
 *
 * Usage: npm run golden             rewrite every golden tree (and create a missing CA store)
 *        npm run golden -- <name>   only that example
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { synth } from '../lib/cli/synth';
import { readDiskTree } from '../lib/review/tree';
import { createPki, loadFleet, modulesOf } from '../lib/pipeline';
import { writeFilesAtomically } from '../lib/output/write';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const EXAMPLES = join(ROOT, 'examples');
export const GOLDEN = join(ROOT, 'test', 'golden');

/** The example names: examples/<name>.yaml. */
export function exampleNames(): string[] {
  return readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).map((f) => basename(f, '.yaml')).sort();
}

export const examplePki = (name: string): string => join(EXAMPLES, 'pki', name);

/** Renders an example into a new temporary folder; returns relative path → content (dist/… and .sops.yaml). */
/** `edit` changes the example's fleet.yaml text before the render (tests: reordered clusters). */
export async function renderExample(name: string, edit: (text: string) => string = (t) => t): Promise<Map<string, string>> {
  const text = edit(readFileSync(join(EXAMPLES, `${name}.yaml`), 'utf8'));
  const hasCa = modulesOf(loadFleet(text, `examples/${name}.yaml`)).mesh.ca !== undefined;
  if (hasCa && !existsSync(examplePki(name))) {
    throw new Error(`examples/pki/${name}/ is missing: run \`npm run golden -- ${name}\` to create the example's CA store`);
  }
  const dir = mkdtempSync(join(tmpdir(), `meshfleet-example-${name}-`));
  try {
    writeFileSync(join(dir, 'fleet.yaml'), text);
    if (hasCa) cpSync(examplePki(name), join(dir, 'pki'), { recursive: true });
    await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    return readTree(dir, (p) => p === '.sops.yaml' || p.startsWith('dist/'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Files below `dir` whose relative POSIX path passes `keep`, sorted. */
export function readTree(dir: string, keep: (path: string) => boolean = () => true): Map<string, string> {
  return new Map([...readDiskTree(dir, keep)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

async function update(names: string[]): Promise<void> {
  for (const name of names) {
    const fleet = loadFleet(readFileSync(join(EXAMPLES, `${name}.yaml`), 'utf8'), `examples/${name}.yaml`);
    if (modulesOf(fleet).mesh.ca && !existsSync(examplePki(name))) {
      writeFilesAtomically(examplePki(name), await createPki(fleet));
      console.log(`created examples/pki/${name}/`);
    }
    const files = await renderExample(name);
    const target = join(GOLDEN, name);
    rmSync(target, { recursive: true, force: true });
    writeFilesAtomically(target, files);
    console.log(`wrote test/golden/${name}/ (${files.size} files)`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const wanted = process.argv.slice(2);
  const known = exampleNames();
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    console.error(`error: no example named ${unknown.join(', ')} (examples: ${known.join(', ')})`);
    process.exitCode = 1;
  } else {
    await update(wanted.length > 0 ? wanted : known);
  }
}
