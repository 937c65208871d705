/**
 * Paths mean what the user typed (issue 23 item 4): relative --fleet/--out/--pki are taken from the
 * folder the command was started in (npm's INIT_CWD), and --out defaults to dist/ beside the fleet
 * file, so `--fleet other/fleet.yaml` never writes into another fleet's dist/.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashTree, ROOT, tempDir } from '../helpers';

const NO_MESH = readFileSync(join(ROOT, 'examples', 'no-mesh.yaml'), 'utf8');

/** The CLI as `npm run <script>` starts it: cwd the package's folder, INIT_CWD where the user was. */
function npmRun(script: string, args: string[], initCwd: string): { status: number; stdout: string; stderr: string } {
  const env = { ...process.env, INIT_CWD: initCwd, npm_lifecycle_event: script };
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run.mjs'), ...(script === 'synth' ? [] : [script]), ...args], { cwd: ROOT, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('paths', () => {
  it('`cd sub && npm run synth -- --fleet ./fleet.yaml --out ./dist` writes sub/dist', () => {
    const repo = tempDir();
    const sub = join(repo, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'fleet.yaml'), NO_MESH);
    const r = npmRun('synth', ['--fleet', './fleet.yaml', '--out', './dist'], sub);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.status).toBe(0);
    expect(existsSync(join(sub, 'dist', 'README.md'))).toBe(true);
    expect(existsSync(join(repo, 'dist'))).toBe(false);
    expect(existsSync(join(ROOT, 'sub'))).toBe(false);
  });

  it('`--fleet other/fleet.yaml` without --out writes other/dist and leaves the dist/ beside the first fleet alone', () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'fleet.yaml'), NO_MESH);
    expect(npmRun('synth', [], repo).status).toBe(0);
    const before = hashTree(join(repo, 'dist'));
    mkdirSync(join(repo, 'other'));
    writeFileSync(join(repo, 'other', 'fleet.yaml'), NO_MESH.replace('name: no-mesh', 'name: other'));
    const r = npmRun('synth', ['--fleet', 'other/fleet.yaml'], repo);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('into other/dist');
    expect(hashTree(join(repo, 'dist'))).toEqual(before);
    expect(existsSync(join(repo, 'other', 'dist', 'README.md'))).toBe(true);
    // check and diff take the same default.
    expect(npmRun('check', ['--fleet', 'other/fleet.yaml'], repo).status).toBe(0);
    expect(npmRun('diff', ['--fleet', 'other/fleet.yaml'], repo).status).toBe(0);
  });

  it('a test run (npm test) spawning the CLI keeps its own folder', () => {
    const repo = tempDir();
    cpSync(join(ROOT, 'examples', 'no-mesh.yaml'), join(repo, 'fleet.yaml'));
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run.mjs'), '--fleet', 'fleet.yaml'], {
      cwd: repo, env: { ...process.env, INIT_CWD: ROOT, npm_lifecycle_event: 'test' }, encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(existsSync(join(repo, 'dist', 'README.md'))).toBe(true);
  });
});

describe('dist/ and pki/ of another fleet', () => {
  const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');

  it('synth, check and diff refuse an output folder rendered from another fleet, and change nothing', () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'fleet.yaml'), NO_MESH);
    expect(npmRun('synth', [], repo).status).toBe(0);
    writeFileSync(join(repo, 'fleet.yaml'), NO_MESH.replace('name: no-mesh', 'name: edge'));
    const before = hashTree(repo);
    for (const script of ['synth', 'check', 'diff']) {
      const r = npmRun(script, [], repo);
      expect(r.status, script).toBe(script === 'diff' ? 2 : 1);
      expect(r.stderr).toContain('dist holds the output of fleet no-mesh, but fleet.yaml is fleet edge (metadata.name)');
    }
    expect(hashTree(repo)).toEqual(before);
  });

  it('a new store records its fleet, and another fleet is refused it with the way to start fresh', () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'fleet.yaml'), LINKERD);
    expect(npmRun('synth', [], repo).status).toBe(0);
    expect(readFileSync(join(repo, 'pki', 'meshfleet.yaml'), 'utf8')).toMatch(/^fleet: linkerd-kpaas$/m);
    writeFileSync(join(repo, 'fleet.yaml'), LINKERD.replace('name: linkerd-kpaas', 'name: mine'));
    const r = npmRun('synth', ['--out', 'other'], repo);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('pki is the CA store of fleet linkerd-kpaas, but fleet.yaml is fleet mine (metadata.name)');
    expect(r.stderr).toContain('git mv pki pki-linkerd-kpaas');
    expect(npmRun('pki', ['status'], repo).stderr).toContain('pki is the CA store of fleet linkerd-kpaas');
  });
});

describe('sample placement', () => {
  it('synth warns when a sample app changes cluster because clusters came or went, naming the field that pins it', () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'fleet.yaml'), NO_MESH);
    expect(npmRun('synth', [], repo).status).toBe(0);
    const more = NO_MESH.replace('  samples:\n    enabled: true', [
      '    - name: aaa',
      '      apiServer: https://192.0.2.7:6443',
      '      ageRecipient: age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg',
      '  samples:',
      '    enabled: true',
    ].join('\n'));
    writeFileSync(join(repo, 'fleet.yaml'), more);
    const r = npmRun('synth', [], repo);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: the sample apps on nks change \([^)]*→[^)]*\) because clusters came or went: .*pins it \(spec\.clusters\[1\]\.samples\)/);
    expect(r.stderr).not.toMatch(/sample apps on onprem/);
    expect(r.stdout).toContain('next: commit and push, then bootstrap aaa');
  });
});
