/**
 * In-place upgrades one supported step at a time (issue 24 item 4): synth compares the new
 * rendering with the committed output (what the clusters run) and refuses a jump upstream does not
 * support in place, naming the releases in between, with nothing written; one step at a time
 * passes. Linkerd's skipped release is a caution with the restart that ends the skew.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFleet, fixture, hashTree, ROOT, runCli, synthFleet, tempDir } from '../helpers';

const at = (path: (string | number)[], version: string, text: string): string => editFleet((d) => d.setIn(path, version), text);
const ISTIO = ['spec', 'mesh', 'istio', 'version'];

/** A temp folder with an example's fleet.yaml and committed CA store. */
function exampleDir(name: string, edit: (text: string) => string): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'fleet.yaml'), edit(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8')));
  cpSync(join(ROOT, 'examples', 'pki', name), join(dir, 'pki'), { recursive: true });
  return dir;
}
const synthIn = (dir: string) => runCli(['synth', '--fleet', join(dir, 'fleet.yaml')]);

describe('in-place upgrades', () => {
  it('Istio 1.26.8 → 1.30.3 against a committed 1.26.8 output is refused, naming 1.27.9, 1.28.10 and 1.29.6; nothing is written', async () => {
    const { dir } = await synthFleet(at(ISTIO, '1.26.8', fixture().fleetText));
    const before = hashTree(dir);
    writeFileSync(join(dir, 'fleet.yaml'), at(ISTIO, '1.30.3', fixture().fleetText));
    const jump = synthIn(dir);
    expect(jump.status).toBe(1);
    expect(jump.stderr).toMatch(/spec\.mesh\.istio\.version\n {4}value: "1\.30\.3"\n {4}rule: {2}Istio upgrades in place one minor at a time \(istio\.io, "In-place upgrade"[^)]*\); the committed output runs 1\.26\.8, so 1\.30\.3 skips 1\.27\.9, 1\.28\.10, 1\.29\.6\n {4}fix: {3}set spec\.mesh\.istio\.version to "1\.27\.9" first; synth, commit, and let every cluster sync, then "1\.28\.10", then "1\.29\.6", then "1\.30\.3", one pull request each/);
    expect(jump.stderr).not.toMatch(/\n\s+at /);
    const { 'fleet.yaml': _a, ...was } = before;
    const { 'fleet.yaml': _b, ...now } = hashTree(dir);
    expect(now).toEqual(was);
    // One minor at a time passes, each against the output the last step committed.
    for (const step of ['1.27.9', '1.28.10', '1.29.6', '1.30.3']) {
      writeFileSync(join(dir, 'fleet.yaml'), at(ISTIO, step, fixture().fleetText));
      const r = synthIn(dir);
      expect(r.status, `${step}: ${r.stderr}`).toBe(0);
    }
    // A downgrade of two minors is refused the same way.
    writeFileSync(join(dir, 'fleet.yaml'), at(ISTIO, '1.28.10', fixture().fleetText));
    expect(synthIn(dir).stderr).toMatch(/Istio downgrades in place one minor at a time .* so 1\.28\.10 skips 1\.29\.6/);
  }, 60_000);

  it('Cilium 1.17.18 → 1.19.6 is refused naming 1.18.12; 1.18.12 passes', () => {
    const dir = exampleDir('cilium-clustermesh', (t) => at(['spec', 'mesh', 'cilium', 'version'], '1.17.18', t));
    expect(synthIn(dir).status).toBe(0);
    writeFileSync(join(dir, 'fleet.yaml'), at(['spec', 'mesh', 'cilium', 'version'], '1.19.6', readFileSync(join(dir, 'fleet.yaml'), 'utf8')));
    const jump = synthIn(dir);
    expect(jump.status).toBe(1);
    expect(jump.stderr).toMatch(/Cilium upgrades in place one minor at a time .*; the committed output runs 1\.17\.18, so 1\.19\.6 skips 1\.18\.12/);
    writeFileSync(join(dir, 'fleet.yaml'), at(['spec', 'mesh', 'cilium', 'version'], '1.18.12', readFileSync(join(dir, 'fleet.yaml'), 'utf8')));
    expect(synthIn(dir).status).toBe(0);
  }, 60_000);

  it('Linkerd 2.18 → 2.20 goes on, saying the proxies run two versions behind until restarted, and how', () => {
    const dir = exampleDir('linkerd-kpaas', (t) => at(['spec', 'mesh', 'linkerd', 'version'], '2.18', t));
    expect(synthIn(dir).status).toBe(0);
    writeFileSync(join(dir, 'fleet.yaml'), at(['spec', 'mesh', 'linkerd', 'version'], '2.20', readFileSync(join(dir, 'fleet.yaml'), 'utf8')));
    const r = synthIn(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/spec\.mesh\.linkerd\.version: Linkerd 2\.18 → 2\.20 skips a release: until their pods restart, the proxies run 2 versions behind the control plane.*`kubectl rollout restart deploy -n <namespace>`.*`linkerd check --proxy`/);
  }, 60_000);
});
