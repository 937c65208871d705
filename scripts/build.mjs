/**
 * Compiles the CLI once, so `npm run synth` starts as plain `node` instead of a TypeScript loader:
 * bundles main.ts, with lib/, imports/ and the npm packages every command loads, into one
 * CommonJS file, build/main.cjs. The project's relative imports are extensionless (moduleResolution
 * "Bundler"), which Node cannot run as tsc emits them, so the bundler is esbuild (the one tsx and
 * vitest already run on).
 *
 * Why one CommonJS file (measured with `node --cpu-prof`, see README "Speed"): Node resolves and
 * loads a few hundred package files one by one (cdk8s, constructs, yaml) where a bundle is one read
 * and one parse; and an ES module importing Node's built-ins (node:crypto, node:fs …) builds an ES
 * facade of each, evaluating every lazy export, where `require` does not. Packages that only some
 * commands need stay outside (LAZY_PACKAGES): the certificate libraries and ajv's compiler.
 *
 *   node scripts/build.mjs          build when a source is newer than the build (npm's `prepare`)
 *   node scripts/build.mjs --force  build regardless
 *
 * ensureBuilt() is what scripts/run.mjs calls before every command: it stats the project files the
 * last build read (esbuild's metafile, kept in build/<entry>.inputs.json) and rebuilds only when one
 * of them, this script, tsconfig.json, package.json or node_modules/.package-lock.json (rewritten by
 * every npm install) is newer than the output.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD = join(ROOT, 'build');

/** Packages left out of the bundle, loaded from node_modules when (and only when) a command needs them. */
export const LAZY_PACKAGES = ['node-forge', 'ajv', 'ajv-formats', 'esbuild', 'age-encryption'];

/**
 * cdk8s bundles its own copy of `yaml`. When it is the version we depend on (both 2.9.1), one copy
 * serves both: the bundle is 260 kB smaller, which every command reads and compiles (about 15 ms
 * of a 0.3 s synth). A different version keeps its own copy.
 */
function aliases() {
  const version = (dir) => {
    try {
      return JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  const ours = version('node_modules/yaml');
  return ours && ours === version('node_modules/cdk8s/node_modules/yaml') ? { yaml: './node_modules/yaml' } : {};
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Infinity; // gone: rebuild
  }
}

/** True when build/<name>.cjs is missing or older than anything it was built from. */
export function isStale(entry) {
  const name = outName(entry);
  const built = mtime(join(BUILD, `${name}.cjs`));
  if (built === Infinity) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(BUILD, `${name}.inputs.json`), 'utf8'));
  } catch {
    return true;
  }
  // The bundled packages are not stat'ed one by one (hundreds of files on every command): npm
  // rewrites node_modules/.package-lock.json whenever it installs or removes anything.
  // (Other package managers do not write it: then only package.json's own changes count.)
  const installed = join(ROOT, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && mtime(installed) > built) return true;
  const always = [fileURLToPath(import.meta.url), join(ROOT, 'tsconfig.json'), join(ROOT, 'package.json')];
  for (const file of [...always, ...inputs.map((p) => join(ROOT, p))]) if (mtime(file) > built) return true;
  return false;
}

function outName(entry) {
  return entry.replace(/^.*\//, '').replace(/\.ts$/, '');
}

/** Bundles `entry` (a .ts path relative to the root) into build/<basename>.cjs. */
export async function build(entry) {
  const esbuild = await import('esbuild');
  const name = outName(entry);
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: LAZY_PACKAGES,
    alias: aliases(),
    // The sources use import.meta.url (lib/root.ts, createRequire): in CommonJS it is the file's URL.
    define: { 'import.meta.url': '__meshfleetImportMetaUrl' },
    // The shebang makes build/main.cjs the package's `meshfleet` executable (package.json "bin").
    banner: { js: "#!/usr/bin/env node\nconst __meshfleetImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    // No keepNames: it wraps every function expression in a naming call each time it is created,
    // which cost 9% of a 100-cluster synth in yaml's and our inner loops (node --cpu-prof). Names
    // stay the sources' except where two modules' names collide (`validate2`).
    outfile: join(BUILD, `${name}.cjs`),
    write: false,
    metafile: true,
    logLevel: 'warning',
  });
  mkdirSync(BUILD, { recursive: true });
  // Written under a temporary name and renamed: a concurrent run never imports half a file.
  const tmp = `.${process.pid}.tmp`;
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(ROOT, join(ROOT, p))).filter((p) => !p.includes('node_modules/'));
  writeFileSync(join(BUILD, `${name}.inputs.json${tmp}`), `${JSON.stringify(inputs)}\n`);
  renameSync(join(BUILD, `${name}.inputs.json${tmp}`), join(BUILD, `${name}.inputs.json`));
  for (const file of result.outputFiles) {
    writeFileSync(`${file.path}${tmp}`, file.contents);
    renameSync(`${file.path}${tmp}`, file.path);
  }
  return join(BUILD, `${name}.cjs`);
}

/** The path of build/<entry>.cjs, rebuilt first when stale. */
export async function ensureBuilt(entry = 'main.ts') {
  return isStale(entry) ? build(entry) : join(BUILD, `${outName(entry)}.cjs`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const force = process.argv.includes('--force');
    if (force || isStale('main.ts')) await build('main.ts');
  } catch (e) {
    // `prepare` runs inside `npm ci`: never fail the install; `npm run synth` retries the build.
    console.error(`meshfleet: could not build build/main.cjs (${e instanceof Error ? e.message : String(e)}).\n` +
      'npm run synth builds it on first use; if that fails too, check that `npm ci` completed (esbuild comes with tsx).');
  }
}
