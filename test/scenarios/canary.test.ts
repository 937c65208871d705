/**
 * Fleet-wide Istio canary upgrades by revision (issue 25): the rules, each with its message; a
 * stable tag moved on one cluster changes only that cluster; and the plan for 1.28.10 → 1.30.3,
 * applied step by step with synth and check between, ends with only 1.30.3 and no tag on 1.28.10.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../lib/errors';
import { loadFleet } from '../../lib/pipeline';
import { editFleet, fixture, renderObjects, ROOT, runCli, synthFleet } from '../helpers';

const CANARY = readFileSync(join(ROOT, 'examples', 'istio-canary.yaml'), 'utf8');

function problems(text: string): { path: string; rule: string; fix: string }[] {
  try {
    loadFleet(text);
  } catch (e) {
    if (e instanceof FleetError) return e.problems.map((p) => ({ path: p.path, rule: p.rule, fix: p.fix }));
    throw e;
  }
  return [];
}
const set = (path: (string | number)[], value: unknown) => (text: string): string => editFleet((d) => d.setIn(path, d.createNode(value)), text);

describe('canary rules', () => {
  it('three revisions are refused: a canary runs two side by side', () => {
    expect(problems(set(['spec', 'mesh', 'istio', 'revisions'], ['1.28.10', '1.29.6', '1.30.3'])(CANARY))).toEqual([expect.objectContaining({
      path: 'spec.mesh.istio.revisions', rule: 'installs 3 control planes; a canary runs at most two revisions side by side (the one in use and the one workloads move to)',
    })]);
  });

  it('a tag on a revision that is not installed is refused, and so is removing a revision a tag still points at', () => {
    expect(problems(set(['spec', 'mesh', 'istio', 'tags', 'canary'], '1.29.6')(CANARY))).toEqual([{
      path: 'spec.mesh.istio.tags.canary',
      rule: 'points at a revision that is not installed (spec.mesh.istio.revisions: 1.28.10, 1.30.3); a revision cannot be removed while a tag points at it',
      fix: 'point canary at one of 1.28.10, 1.30.3 first, or keep 1.29.6 in revisions',
    }]);
    const removed = problems(editFleet((d) => { d.setIn(['spec', 'mesh', 'istio', 'revisions'], d.createNode(['1.30.3'])); d.deleteIn(['spec', 'mesh', 'istio', 'unrevisioned']); }, CANARY));
    expect(removed).toEqual([expect.objectContaining({ path: 'spec.mesh.istio.tags.stable', rule: expect.stringMatching(/^points at a revision that is not installed \(spec\.mesh\.istio\.revisions: 1\.30\.3\); a revision cannot be removed while a tag points at it$/) })]);
  });

  it('revisions more than two minors apart are refused: a canary may skip one minor', () => {
    const far = editFleet((d) => { d.setIn(['spec', 'mesh', 'istio', 'revisions'], d.createNode(['1.26.8', '1.30.3'])); d.setIn(['spec', 'mesh', 'istio', 'tags'], d.createNode({ stable: '1.26.8' })); d.deleteIn(['spec', 'mesh', 'istio', 'unrevisioned']); d.deleteIn(['spec', 'clusters', 0, 'istio']); }, CANARY);
    expect(problems(far)).toEqual([expect.objectContaining({ path: 'spec.mesh.istio.revisions', rule: '1.26.8 and 1.30.3 are 4 minors apart; a canary may skip one minor at most (istio.io, "Canary upgrades")' })]);
  });

  it('version beside revisions, the reserved default tag and a missing stable tag are refused', () => {
    expect(problems(set(['spec', 'mesh', 'istio', 'version'], '1.30.3')(CANARY)).map((p) => p.path)).toEqual(['spec.mesh.istio.version']);
    expect(problems(set(['spec', 'mesh', 'istio', 'tags', 'default'], '1.30.3')(CANARY)).map((p) => p.path)).toEqual(['spec.mesh.istio.tags.default']);
    expect(problems(editFleet((d) => d.deleteIn(['spec', 'mesh', 'istio', 'tags', 'stable']), CANARY))[0]).toMatchObject({ path: 'spec.mesh.istio.tags', fix: 'add stable: "1.28.10"' });
  });
});

describe('primary-remote mid-canary', () => {
  const PR = readFileSync(join(ROOT, 'examples', 'istio-canary-primary-remote.yaml'), 'utf8');
  it('a remote follows its primary\'s tags: tags of its own are refused', () => {
    const i = (loadFleet(PR).clusters.findIndex((c) => c.name === 'remote-b'));
    expect(problems(set(['spec', 'clusters', i, 'istio'], { tags: { stable: '1.30.3' } })(PR))).toEqual([expect.objectContaining({
      path: `spec.clusters[${i}].istio.tags`, rule: 'a remote follows its primary\'s tags (primary-b): its injection and its istiod address are the primary\'s istiod of that revision',
    })]);
  });

  it('remote-a runs both revisions as the remote profile, its tags its primary\'s', () => {
    const files = renderObjects(PR);
    const remote = files.get('manifests/remote-a/mesh/helmrelease-istiod-1-30-3.yaml')![0].spec.values;
    expect(remote).toMatchObject({ profile: 'remote', revision: '1-30-3', revisionTags: ['canary', 'default', 'stable'], global: { remotePilotAddress: '203.0.113.10' } });
    expect(files.get('manifests/remote-b/mesh/helmrelease-istiod-1-29-6.yaml')![0].spec.values.revisionTags).toEqual(['default', 'stable']);
  });
});

describe('a fleet mid-canary', () => {
  const files = renderObjects(CANARY);
  it('moving one cluster\'s stable tag changes only that cluster\'s output', () => {
    const moved = renderObjects(set(['spec', 'clusters', 1, 'istio'], { tags: { stable: '1.30.3' } })(CANARY));
    const changed = [...new Set([...files.keys(), ...moved.keys()])].filter((p) => JSON.stringify(files.get(p)) !== JSON.stringify(moved.get(p)));
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((p) => !p.includes('/east-2/') && p !== 'README.md')).toEqual([]);
    // On east-2 the samples restart onto 1.30.3, the gateway follows, base validates with it.
    const reviews = [...moved.entries()].find(([p]) => p.startsWith('manifests/east-2/apps/deployment-'))?.[1][0];
    if (reviews) expect(reviews.spec.template.metadata.annotations['meshfleet.io/istio-revision']).toBe('1-30-3');
    expect(moved.get('manifests/east-2/mesh/helmrelease-istio-base.yaml')![0].spec.values.defaultRevision).toBe('1-30-3');
    expect(moved.get('manifests/east-2/mesh/helmrelease-istio-eastwestgateway.yaml')![0].spec.chart.spec.version).toBe('1.30.3');
  });
});

describe('turning an in-place control plane into revisions by hand', () => {
  it('without unrevisioned is refused (its proxies\' Service istiod would go), nothing written; with it, synth goes on', async () => {
    const { dir } = await synthFleet(editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'version'], '1.28.10'), fixture().fleetText));
    const fleet = join(dir, 'fleet.yaml');
    const canary = (unrevisioned: boolean): string => editFleet((d) => {
      d.deleteIn(['spec', 'mesh', 'istio', 'version']);
      d.setIn(['spec', 'mesh', 'istio', 'revisions'], d.createNode(['1.28.10', '1.30.3']));
      d.setIn(['spec', 'mesh', 'istio', 'tags'], d.createNode({ stable: '1.28.10' }));
      if (unrevisioned) d.setIn(['spec', 'mesh', 'istio', 'unrevisioned'], '1.28.10');
    }, fixture().fleetText);
    writeFileSync(fleet, canary(false));
    const before = readFileSync(join(dir, 'dist', 'manifests', 'kt-k2p', 'mesh', 'helmrelease-istiod.yaml'), 'utf8');
    const r = runCli(['synth', '--fleet', fleet]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/spec\.mesh\.istio\.unrevisioned\n.*\n {4}rule: {2}the committed output runs istiod 1\.28\.10 in place \(release istiod\), and the new one replaces it with istiod-1-28-10: the running proxies are connected to Service istiod/);
    expect(r.stderr).toMatch(/fix: {3}set spec\.mesh\.istio\.unrevisioned: "1\.28\.10"/);
    expect(readFileSync(join(dir, 'dist', 'manifests', 'kt-k2p', 'mesh', 'helmrelease-istiod.yaml'), 'utf8')).toBe(before);
    writeFileSync(fleet, canary(true));
    expect(runCli(['synth', '--fleet', fleet]).status).toBe(0);
  }, 60_000);
});

describe('npm run upgrade -- plan istio', () => {
  it('1.28.10 → 1.30.3: the steps, applied one by one with synth and check between, end with only 1.30.3 and no tag on 1.28.10', async () => {
    const at = (v: string): string => editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'version'], v), fixture().fleetText);
    const { dir } = await synthFleet(at('1.28.10'));
    const fleet = join(dir, 'fleet.yaml');
    const plan = runCli(['upgrade', 'plan', 'istio', '1.30.3', '--fleet', fleet]);
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^istio 1\.30\.3: 6 step\(s\), one pull request each/);
    for (const title of ['1. add revision 1.30.3 beside 1.28.10', '2. move the canary tag to 1.30.3', '3. move stable to 1.30.3 on kt-k2p', '4. move stable to 1.30.3 on ncloud-nks',
      '5. move stable to 1.30.3 on nhn-nks, the last primary: the fleet-wide tag', '6. remove revision 1.28.10']) expect(plan.stdout).toContain(title);
    for (let step = 1; step <= 6; step++) {
      const w = runCli(['upgrade', 'plan', 'istio', '1.30.3', '--write', '--fleet', fleet]);
      expect(w.status, `step ${step}: ${w.stderr}`).toBe(0);
      // diff names, per cluster, the control planes and tags the step moves (and only those clusters).
      const moves = runCli(['diff', '--fleet', fleet]).stdout.split('Control planes:\n')[1] ?? '';
      if (step === 1) expect(moves).toMatch(/^ {2}~ kt-k2p: control plane istiod-1-30-3 \(1\.30\.3\) added$/m);
      if (step === 2) expect(moves).toMatch(/^ {2}~ nhn-nks: tag canary in place \(1\.28\.10\) → 1-30-3 \(1\.30\.3\): namespaces labelled istio\.io\/rev=canary change control plane/m);
      if (step === 3) {
        expect(moves.trim().split('\n')).toEqual(['~ kt-k2p: tag stable in place (1.28.10) → 1-30-3 (1.30.3): namespaces labelled istio.io/rev=stable (meshfleet\'s samples among them) change control plane when their pods restart']);
      }
      if (step === 6) expect(moves).toMatch(/^ {2}~ ncloud-nks: control plane istiod \(1\.28\.10, in place\) removed$/m);
      const s = runCli(['synth', '--fleet', fleet]);
      expect(s.status, `synth after step ${step}: ${s.stderr}`).toBe(0);
      const c = runCli(['check', '--fleet', fleet]);
      expect(c.status, `check after step ${step}: ${c.stderr}`).toBe(0);
    }
    expect(runCli(['upgrade', 'plan', 'istio', '1.30.3', '--fleet', fleet]).stdout).toMatch(/runs only istio 1\.30\.3: nothing to do/);
    const istio = (parse(readFileSync(fleet, 'utf8')) as { spec: { mesh: { istio: Record<string, unknown> } } }).spec.mesh.istio;
    expect(istio.revisions).toEqual(['1.30.3']);
    expect(Object.values(istio.tags as Record<string, string>)).not.toContain('1.28.10');
    expect(readFileSync(join(dir, 'dist', 'manifests', 'kt-k2p', 'mesh', 'helmrelease-istiod-1-30-3.yaml'), 'utf8')).toMatch(/revisionTags:\n\s+- canary\n\s+- default\n\s+- stable/);
    expect(() => readFileSync(join(dir, 'dist', 'manifests', 'kt-k2p', 'mesh', 'helmrelease-istiod.yaml'))).toThrow();
  }, 120_000);
});
