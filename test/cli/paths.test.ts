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
