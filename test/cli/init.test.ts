/**
 * meshfleet as a versioned tool (issue 23 items 1–3): the packed package works installed into
 * another folder, reading nothing of this repository, and `init` scaffolds a fleet repository whose
 * synth and check pass as written and whose workflow runs only the fleet's checks.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers';

let tool: string;

/** The installed tool, run in `cwd` as `npx meshfleet …` would. */
function meshfleet(cwd: string, ...args: string[]): { status: number; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.INIT_CWD;
  const r = spawnSync(process.execPath, [join(tool, 'build', 'main.cjs'), ...args], { cwd, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // npm pack as a release does it (the bundle test/global-setup.ts built), unpacked elsewhere; its
  // dependencies resolve from this repository's node_modules, as an install would provide them.
  const packs = tempDir('meshfleet-pack-');
  const file = execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packs], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').pop()!;
  execFileSync('tar', ['-xzf', join(packs, file), '-C', packs]);
  tool = join(packs, 'package');
  symlinkSync(join(ROOT, 'node_modules'), join(tool, 'node_modules'));
}, 120_000);

describe('the packed tool', () => {
  it('holds the CLI, its validators, schemas and chart key tables, and nothing of the default fleet', () => {
    const pkg = JSON.parse(readFileSync(join(tool, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ meshfleet: 'build/main.cjs' });
    expect(readFileSync(join(tool, 'build', 'main.cjs'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    for (const d of ['imports/validators/index.json', 'imports/schemas/k8s.json', 'imports/charts']) expect(existsSync(join(tool, d)), d).toBe(true);
    for (const d of ['fleet.yaml', 'dist', 'pki', 'examples', 'lib', 'test']) expect(existsSync(join(tool, d)), d).toBe(false);
  });

  it('`meshfleet --version` names its version', () => {
    expect(meshfleet(tempDir(), '--version').stdout).toMatch(/^meshfleet 0\.\d+\.\d+ /);
  });
});

describe('meshfleet init', () => {
  it.each(['linkerd', 'istio', 'cilium', 'none'])('scaffolds a %s fleet repository whose synth and check pass as written', (mesh) => {
    const where = tempDir();
    const r = meshfleet(where, 'init', 'demo', '--mesh', mesh, '--clusters', 'a,b');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('.keys/');
    const demo = join(where, 'demo');
    expect(readdirSync(demo).sort()).toEqual(['.github', '.gitignore', '.keys', '.sops.yaml', 'fleet.schema.json', 'fleet.yaml', 'package.json']);
    const pkg = JSON.parse(readFileSync(join(demo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string>; scripts: Record<string, string> };
    expect(pkg.devDependencies.meshfleet).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.scripts).toMatchObject({ synth: 'meshfleet synth', diff: 'meshfleet diff', check: 'meshfleet check' });
    expect(readFileSync(join(demo, '.gitignore'), 'utf8')).toMatch(/^\.keys\/$/m);
    execFileSync('git', ['init', '-q'], { cwd: demo });
    const synth = meshfleet(demo, 'synth');
    expect(synth.stderr).not.toMatch(/error/);
    expect(synth.status).toBe(0);
    // init wrote the .sops.yaml synth would: synth leaves it, and check finds it current.
    const check = meshfleet(demo, 'check');
    expect(check.stderr).not.toMatch(/check failed/);
    expect(check.status).toBe(0);
    expect(meshfleet(demo, 'scan-secrets').status).toBe(0); // .keys/ is not tracked
  }, 120_000);

  it('writes a workflow that checks the fleet and never runs meshfleet\'s own tests', () => {
    const where = tempDir();
    expect(meshfleet(where, 'init', 'f', '--clusters', 'a', '--mesh', 'none').status).toBe(0);
    const wf = parse(readFileSync(join(where, 'f', '.github/workflows/meshfleet.yml'), 'utf8')) as { jobs: Record<string, { steps: { run?: string }[] }> };
    const runs = Object.values(wf.jobs).flatMap((j) => j.steps.map((s) => s.run ?? '')).join('\n');
    expect(runs).toMatch(/npx meshfleet check/);
    expect(runs).toMatch(/npx meshfleet diff --base .* --markdown/);
    expect(runs).toMatch(/npx meshfleet scan-secrets/);
    expect(runs).not.toMatch(/npm test/);
  });

  it('uses the keys given, and makes none', () => {
    const where = tempDir();
    const op = 'age16jwe524daq7grchg35ctqu5nxdvr30plkwscnu4x5n0hty59j34sfm2usc';
    const a = 'age17rphktetg97yhjk8l5mxtnc5ypa6eyhk5gntd0g4r30g8tq5agnq9nuxmf';
    const r = meshfleet(where, 'init', 'g', '--mesh', 'none', '--clusters', 'a', '--operator', op, '--cluster-key', `a=${a}`);
    expect(r.status).toBe(0);
    const fleet = readFileSync(join(where, 'g', 'fleet.yaml'), 'utf8');
    expect(fleet).toContain(op);
    expect(fleet).toContain(a);
    expect(existsSync(join(where, 'g', '.keys'))).toBe(false);
  });

  it('refuses a folder that is not empty unless --force, and a wrong command line with exit 2', () => {
    const where = tempDir();
    mkdirSync(join(where, 'x'));
    writeFileSync(join(where, 'x', 'notes.txt'), 'mine\n');
    const refused = meshfleet(where, 'init', 'x', '--clusters', 'a');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/x is not empty: .*--force/);
    expect(readdirSync(join(where, 'x'))).toEqual(['notes.txt']);
    expect(meshfleet(where, 'init', 'x', '--clusters', 'a', '--force').status).toBe(0);
    const wrong = meshfleet(where, 'init', 'y', '--mesh', 'istoi', '--clusters', 'a');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/did you mean "?istio"?/);
    expect(meshfleet(where, 'init', 'z').status).toBe(2);
    expect(meshfleet(where, 'init', 'z', '--clusters', 'a', '--operator', 'age1nope').stderr).toMatch(/--operator: "age1nope" /);
  });
});

describe('for editors and machines', () => {
  it('init points fleet.yaml at the schema it writes, which is `meshfleet schema` for that mesh type, and validates the fleet', async () => {
    const where = tempDir();
    expect(meshfleet(where, 'init', 'e', '--mesh', 'linkerd', '--clusters', 'a,b').status).toBe(0);
    const fleet = readFileSync(join(where, 'e', 'fleet.yaml'), 'utf8');
    expect(fleet.split('\n')[0]).toBe('# yaml-language-server: $schema=./fleet.schema.json');
    const schema = readFileSync(join(where, 'e', 'fleet.schema.json'), 'utf8');
    expect(meshfleet(join(where, 'e'), 'schema').stdout).toBe(schema);
    const { Ajv } = await import('ajv');
    const validate = new Ajv({ strict: false, allErrors: true }).compile(JSON.parse(schema) as object);
    expect(validate(parse(fleet)), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(parse(fleet) as object), kind: 'Flet' })).toBe(false);
  });

  it('-o json: check, diff and pki status print one JSON document', () => {
    const where = tempDir();
    expect(meshfleet(where, 'init', 'j', '--mesh', 'linkerd', '--clusters', 'a,b').status).toBe(0);
    const dir = join(where, 'j');
    expect(meshfleet(dir, 'synth').status).toBe(0);
    const check = meshfleet(dir, 'check', '-o', 'json');
    expect(check.status).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ passed: true, problems: [] });
    const diff = meshfleet(dir, 'diff', '--output', 'json');
    expect(diff.status).toBe(0);
    expect(JSON.parse(diff.stdout)).toMatchObject({ differences: false, objects: [] });
    const status = meshfleet(dir, 'pki', 'status', '-o', 'json');
    expect(JSON.parse(status.stdout).certificates.length).toBeGreaterThan(2);
    expect(meshfleet(dir, 'check', '-o', 'yaml').status).toBe(2);
    expect(meshfleet(dir, 'pki', 'rekey', '-o', 'json').status).toBe(2);
  });

  it('completion bash names every command and its flags, and bash accepts it', () => {
    const r = meshfleet(tempDir(), 'completion', 'bash');
    expect(r.status).toBe(0);
    for (const c of ['synth', 'diff', 'check', 'pki', 'link', 'init', 'schema', 'scan-secrets', 'helm-template']) expect(r.stdout).toContain(c);
    expect(r.stdout).toMatch(/init\) opts="--mesh --engine --clusters --operator --cluster-key --force --help"/);
    expect(spawnSync('bash', ['-n'], { input: r.stdout }).status).toBe(0);
    expect(meshfleet(tempDir(), 'completion', 'fish').status).toBe(2);
  });
});
