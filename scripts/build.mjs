/**
 * Compiles the CLI once, so `npm run synth` starts as plain `node` instead of a TypeScript loader:
 * bundles main.ts (lib/ and imports/ with it; npm packages stay external) into build/main.js.
 * The project's relative imports are extensionless (moduleResolution "Bundler"), which Node cannot
 * run as tsc emits them, so the bundler is esbuild (the one tsx and vitest already run on).
 *
 *   node scripts/build.mjs          build when a source is newer than the build (npm's `prepare`)
 *   node scripts/build.mjs --force  build regardless
 *
 * ensureBuilt() is what scripts/run.mjs calls before every command: it stats the files the last
 * build read (esbuild's metafile, kept in build/<entry>.inputs.json) and rebuilds only when one of
 * them, this script, tsconfig.json or package.json is newer than the output.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = join(ROOT, 'build');

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity; // gone: rebuild
  }
}

/** True when build/<name>.js is missing or older than anything it was built from. */
export function isStale(entry) {
  const name = outName(entry);
  const built = mtime(join(BUILD, `${name}.js`));
  if (built === Infinity) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(BUILD, `${name}.inputs.json`), 'utf8'));
  } catch {
    return true;
  }
  const always = [fileURLToPath(import.meta.url), join(ROOT, 'tsconfig.json'), join(ROOT, 'package.json')];
  for (const file of [...always, ...inputs.map((p) => join(ROOT, p))]) if (mtime(file) > built) return true;
  return false;
}

function outName(entry) {
  return entry.replace(/^.*\//, '').replace(/\.ts$/, '');
}

/** Bundles `entry` (a .ts path relative to the root) into build/<basename>.js. */
export async function build(entry) {
  const esbuild = await import('esbuild');
  const name = outName(entry);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    outfile: join(BUILD, `${name}.js`),
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(BUILD, { recursive: true });
  // Written under a temporary name and renamed: a concurrent run never imports half a file.
  const tmp = `.${process.pid}.tmp`;
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, join(ROOT, p)));
  writeFileSync(join(BUILD, `${name}.inputs.json${tmp}`), `${JSON.stringify(inputs)}\n`);
  renameSync(join(BUILD, `${name}.inputs.json${tmp}`), join(BUILD, `${name}.inputs.json`));
  for (const file of result.outputFiles) {
    writeFileSync(`${file.path}${tmp}`, file.contents);
    renameSync(`${file.path}${tmp}`, file.path);
  }
  return join(BUILD, `${name}.js`);
}

/** The path of build/<entry>.js, rebuilt first when stale. */
export async function ensureBuilt(entry = 'main.ts') {
  return isStale(entry) ? build(entry) : join(BUILD, `${outName(entry)}.js`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const force = process.argv.includes('--force');
    if (force || isStale('main.ts')) await build('main.ts');
  } catch (e) {
    // `prepare` runs inside `npm ci`: never fail the install; `npm run synth` retries the build.
    console.error(`meshfleet: could not build build/main.js (${e instanceof Error ? e.message : String(e)}).\n` +
      'npm run synth builds it on first use; if that fails too, check that `npm ci` completed (esbuild comes with tsx).');
  }
}
