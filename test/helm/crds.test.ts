/**
 * What removing a release deletes (issue 20 item 6): every chart meshfleet delivers declares the
 * CRDs Helm deletes on uninstall (templates without `helm.sh/resource-policy: keep`), checked here
 * against the real chart rendered with the values of every example; and the removal notices name them.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pinnedCharts, pruneNotices, loadFleet, renderFleet } from '../../lib/pipeline';
import type { KubeObject } from '../../lib/kube';
import { editFleet, hasHelm } from '../helpers';
import { CHARTS, fleetFiles, helmTemplate, parseManifests, releaseCases, versionFleets } from './harness';

const SKIP = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm; or set HELM)'
  : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;

/** Every example, plus the Linkerd one with the SMI split (the only fleet that installs linkerd-smi). */
function fleets(): { file: string; text: string }[] {
  const all = fleetFiles();
  const linkerd = all.find((f) => f.file === 'examples/linkerd-kpaas.yaml')!;
  return [...all, ...versionFleets(), { file: 'examples/linkerd-kpaas.yaml', text: editFleet((d) => d.setIn(['spec', 'samples', 'split'], 'smi'), linkerd.text) }];
}

const deletedOnUninstall = (objs: readonly KubeObject[]): string[] => objs
  .filter((o) => o.kind === 'CustomResourceDefinition' && (o.metadata as { annotations?: Record<string, string> }).annotations?.['helm.sh/resource-policy'] !== 'keep')
  .map((o) => (o.spec as { names: { kind: string } }).names.kind).sort();

describe('the CRDs a release\'s removal deletes', () => {
  it.skipIf(SKIP !== undefined)(`every pinned chart declares exactly the CRDs Helm deletes on uninstall, as it renders with every example's values${SKIP ? ` — SKIPPED: ${SKIP}` : ''}`, async () => {
    const checked = new Set<string>();
    for (const { file, text } of fleets()) {
      for (const c of releaseCases(file, text)) {
        if (!c.chartDir) continue;
        const pin = pinnedCharts().find((p) => p.chart === c.ref.chart && p.version === c.ref.version);
        expect(pin, `${c.ref.chart} ${c.ref.version} is pinned`).toBeDefined();
        const result = await helmTemplate(c.ref, c.chartDir, c.kubeVersion);
        expect(result.code, result.stderr).toBe(0);
        expect([...(pin!.uninstallDeletes ?? [])].sort(), `${file} ${c.cluster} ${c.ref.name} (${c.ref.chart} ${c.ref.version})`).toEqual(deletedOnUninstall(parseManifests(result.stdout)));
        checked.add(`${c.ref.chart}-${c.ref.version}`);
      }
    }
    // Every pin whose chart is in ../shared was rendered by some example.
    const present = pinnedCharts().filter((p) => existsSync(`${CHARTS}/${p.chart}-${p.version}/Chart.yaml`)).map((p) => `${p.chart}-${p.version}`);
    expect(present.filter((p) => !checked.has(p))).toEqual([]);
  }, 300_000);

  it('a removed MetalLB release says its IPAddressPools and L2Advertisements go with its CRDs under Flux, and how to keep them; under Argo CD the CRDs stay', () => {
    const before = editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.14.9'));
    const after = editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false), before);
    const tree = (t: string): Map<string, string> => renderFleet(loadFleet(t), { repoPath: 'dist' }).files;
    const notes = pruneNotices(tree(before), tree(after), loadFleet(after));
    const metallb = notes.find((n) => n.includes('HelmRelease metallb-system/metallb is removed'))!;
    expect(metallb).toContain('including the CustomResourceDefinitions of BFDProfile, BGPAdvertisement, BGPPeer, Community, IPAddressPool, L2Advertisement, ServiceL2Status');
    expect(metallb).toContain('every object of those kinds in the cluster goes with them, whoever made it');
    expect(metallb).toContain('`flux --context=kt suspend helmrelease -n metallb-system metallb` before you merge');
    expect(metallb).not.toContain('CRDs excepted');
    // Argo CD: the Application's cascade leaves CRDs (Argo CD does not track them), and says so.
    const argo = (t: string): string => editFleet((d) => d.setIn(['spec', 'gitops', 'engine'], 'argocd'), t);
    const argoNotes = pruneNotices(tree(argo(before)), tree(argo(after)), loadFleet(argo(after)));
    expect(argoNotes.find((n) => n.includes('Application kt-k2p-infrastructure-metallb is removed')))
      .toContain('deletes everything it deployed except its CustomResourceDefinitions (BFDProfile, BGPAdvertisement, BGPPeer, Community, IPAddressPool, L2Advertisement, ServiceL2Status): Argo CD never deletes a CRD');
    // A chart whose CRDs all stay says so.
    const noMetricsServer = editFleet((d) => d.deleteIn(['spec', 'clusters', 0, 'metricsServer']), before);
    const ms = pruneNotices(tree(before), tree(noMetricsServer), loadFleet(noMetricsServer)).find((n) => n.includes('metrics-server is removed'));
    expect(ms).toContain('any CRDs it has stay');
    expect(ms).not.toContain('suspend helmrelease');
  });
});
