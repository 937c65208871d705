/** mesh.type none: add-ons and samples only — no CA store, no links, no mesh objects. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleetWithModules } from '../../../lib/pipeline';
import { editFleet, renderObjects, ROOT, runMain, tempDir } from '../../helpers';

const NO_MESH = readFileSync(join(ROOT, 'examples', 'no-mesh.yaml'), 'utf8');

describe('mesh type none', () => {
  it('renders add-ons and sidecar-free samples, and nothing of a mesh', () => {
    const files = renderObjects(NO_MESH);
    const paths = [...files.keys()];
    expect(paths.some((p) => p.includes('/mesh'))).toBe(false);
    expect(paths.some((p) => p.startsWith('istioctl/'))).toBe(false);
    const ns = files.get('manifests/onprem/apps/namespace-sample.yaml')![0]!;
    expect(ns.metadata.labels).toBeUndefined();
    expect(files.has('manifests/onprem/infrastructure/helmrelease-metallb.yaml')).toBe(true);
    // Cilium's settings for Istio are not applied without Istio.
    expect(paths.some((p) => p.startsWith('manifests/nks/infrastructure/'))).toBe(false);
  });

  it('warns, once, about the fields of other mesh types it ignores', () => {
    const { warnings } = loadFleetWithModules(NO_MESH);
    expect(warnings).toEqual([expect.stringContaining('mesh type none ignores spec.clusters[0].network')]);
  });

  it('the default fleet switched to none renders without touching any other field', () => {
    const text = editFleet((d) => d.setIn(['spec', 'mesh'], d.createNode({ type: 'none' })));
    const { warnings } = loadFleetWithModules(text);
    expect(warnings[0]).toMatch(/spec.clusters\[0\].network, spec.clusters\[1\].network, spec.clusters\[2\].network/);
    // no mesh, no gateway: the address kt-k2p announces is ignored, and said so (issue 21 item 9)
    expect(warnings[0]).toMatch(/ignores spec.clusters\[0\].gateway, spec.clusters\[0\].eastWestNodePort, spec.clusters\[0\].eastWestStatusNodePort, spec.clusters\[0\].network/);
    expect(warnings[1]).toMatch(/ignores them/);
    expect(renderObjects(text).size).toBeGreaterThan(10);
  });

  it('ignores Cilium-for-Istio settings, with a warning', () => {
    const text = NO_MESH.replace('      cni: cilium\n', '      cni: cilium\n      cilium:\n        managed: true\n');
    expect(loadFleetWithModules(text).warnings[1]).toMatch(/spec.clusters\[1\].cilium: these settings configure Cilium for Istio; mesh type none ignores them/);
  });

  it('synth makes no CA store; pki says there is none; link has nothing to do', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), NO_MESH);
    const fleet = join(dir, 'fleet.yaml');
    const synth = await runMain(['--fleet', fleet, '--out', join(dir, 'dist')]);
    expect(synth.code).toBe(0);
    expect(synth.err).toMatch(/^warning: .*ignores spec.clusters\[0\].network/);
    expect(existsSync(join(dir, 'pki'))).toBe(false);
    const pki = await runMain(['pki', 'status', '--fleet', fleet]);
    expect(pki.code).toBe(1);
    expect(pki.err).toContain('mesh type none keeps no CA store');
    const link = await runMain(['link', '--fleet', fleet]);
    expect([link.code, link.out.trim()]).toEqual([0, 'mesh type none has nothing to link.']);
  });
});
