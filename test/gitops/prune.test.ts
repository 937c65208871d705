/**
 * Issue 14 item 3: a change that makes Flux or Argo CD delete something on a live cluster is said
 * before it syncs, with the command that avoids it.
 */
import { describe, expect, it } from 'vitest';
import { loadFleet, pruneNotices, renderFleet } from '../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, synthFleet } from '../helpers';

const tree = (text: string): Map<string, string> => renderFleet(loadFleet(text), { repoPath: 'dist' }).files;
const notices = (before: string, after: string): string[] => pruneNotices(tree(before), tree(after), loadFleet(after));
const withoutCluster = (name: string, text = DEFAULT_FLEET): string => editFleet((doc) => {
  const i = (doc.toJS().spec.clusters as { name: string }[]).findIndex((c) => c.name === name);
  doc.deleteIn(['spec', 'clusters', i]);
}, text);
const argocd = editFleet((doc) => doc.setIn(['spec', 'gitops', 'engine'], 'argocd'));

describe('pruneNotices (Flux)', () => {
  it('says nothing when nothing is removed', () => {
    expect(notices(DEFAULT_FLEET, DEFAULT_FLEET)).toEqual([]);
    expect(notices(DEFAULT_FLEET, editFleet((doc) => doc.setIn(['spec', 'gitops', 'interval'], '5m')))).toEqual([]);
  });

  it('a cluster that leaves: its Flux prunes the whole mesh; detach with suspend --all or uninstall --keep-namespace', () => {
    const n = notices(DEFAULT_FLEET, withoutCluster('nhn-nks'));
    expect(n).toHaveLength(1);
    expect(n[0]).toMatch(/^Flux: cluster nhn-nks leaves the fleet\. If Flux still runs on nhn-nks, its next sync deletes the Kustomizations meshfleet-apps, meshfleet-mesh, meshfleet-mesh-config, meshfleet-mesh-prereqs, and each one's prune deletes everything it applied \(\d+ object\(s\)/);
    expect(n[0]).toContain("`flux --context=<nhn-nks's kubeconfig context> suspend kustomization --all`");
    expect(n[0]).toContain('uninstall --keep-namespace');
  });

  it('a removed stage and a removed Helm release name the cluster, the object and the command', () => {
    const noMetallb = editFleet((doc) => { doc.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false); doc.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.14.9'); });
    const n = notices(DEFAULT_FLEET, noMetallb);
    expect(n.some((x) => x.startsWith('Flux: on kt-k2p, HelmRelease metallb-system/metallb is removed: helm-controller uninstalls the release'))).toBe(true);
    const noSamples = editFleet((doc) => doc.setIn(['spec', 'samples', 'enabled'], false));
    const s = notices(DEFAULT_FLEET, noSamples);
    expect(s).toHaveLength(3);
    expect(s[0]).toMatch(/^Flux: on kt-k2p, Kustomization meshfleet-apps is removed: Flux deletes it and its prune deletes everything it applied from manifests\/kt-k2p\/apps\/ \(\d+ object\(s\): \d+ Deployment, 1 Namespace/);
    expect(s[0]).toContain('`flux --context=kt suspend kustomization meshfleet-apps`');
  });

  it('renamed Kustomizations (the meshfleet- prefix) are one warning per cluster with the suspend command', () => {
    const before = tree(DEFAULT_FLEET);
    // The output as releases before the prefix wrote it.
    const old = new Map([...before].map(([p, t]) => [p, p.startsWith('clusters/') ? t.replace(/meshfleet-/g, '') : t]));
    const n = pruneNotices(old, before, loadFleet(DEFAULT_FLEET));
    expect(n).toHaveLength(3);
    expect(n[2]).toBe('Flux: on nhn-nks, apps → meshfleet-apps, mesh → meshfleet-mesh, mesh-config → meshfleet-mesh-config, mesh-prereqs → meshfleet-mesh-prereqs: ' +
      'Kustomizations renamed (same paths). Flux deletes each old one, and its prune deletes everything it applied before the new one applies it again: an outage of the mesh. ' +
      'Before you merge, suspend the old ones, so that they are deleted without pruning and the new ones take their objects over: ' +
      '`flux --context=nhn suspend kustomization apps mesh mesh-config mesh-prereqs`.');
  });

  it('switching engines is announced by the engine that loses its objects', () => {
    const n = notices(DEFAULT_FLEET, argocd);
    expect(n.filter((x) => x.startsWith('Flux: on kt-k2p, Kustomization meshfleet-'))).toHaveLength(6);
  });
});

describe('pruneNotices (Argo CD)', () => {
  it('a cluster that leaves: nothing is deleted until its Applications are; both ways are spelled out', () => {
    const n = notices(argocd, withoutCluster('kt-k2p', argocd));
    expect(n).toHaveLength(1);
    expect(n[0]).toMatch(/^Argo CD: cluster kt-k2p leaves the fleet\. Its root Application kt-k2p on the hub now points at a folder that no longer exists/);
    expect(n[0]).toContain("kubectl -n argocd delete applications -l meshfleet.io/cluster=kt-k2p");
    expect(n[0]).toContain('/metadata/finalizers');
  });

  it('a removed child Application deletes what it deployed through its finalizer', () => {
    const n = notices(argocd, editFleet((doc) => doc.setIn(['spec', 'clusters', 0, 'metricsServer', 'install'], false), argocd));
    expect(n).toEqual([expect.stringMatching(/^Argo CD: on kt-k2p, Application kt-k2p-infrastructure-metrics-server is removed: the root Application kt-k2p prunes it/)]);
  });
});

describe('synth', () => {
  it('prints the notices as warnings before it writes', async () => {
    const { dir } = await synthFleet();
    const { synth } = await import('../../lib/cli/synth');
    const { fixture } = await import('../helpers');
    const edited = editFleet((doc) => doc.setIn(['spec', 'samples', 'enabled'], false), fixture().fleetText);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(dir, 'fleet.yaml'), edited);
    const r = await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    expect(r.warnings.filter((w) => w.includes('Kustomization meshfleet-apps is removed'))).toHaveLength(3);
  });
});

describe('npm run diff', () => {
  it('adds what the change deletes on live clusters to the review (markdown for the PR comment)', async () => {
    const { dir } = await synthFleet();
    const { fixture, runCli } = await import('../helpers');
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    writeFileSync(join(dir, 'fleet.yaml'), editFleet((doc) => doc.setIn(['spec', 'samples', 'enabled'], false), fixture().fleetText));
    const r = runCli(['diff', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist'), '--markdown']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('### ⚠️ What this change deletes on live clusters');
    expect(r.stdout).toMatch(/^- Flux: on nhn-nks, Kustomization meshfleet-apps is removed/m);
  });
});
