/**
 * `spec.mesh.type: none`: no service mesh. The clusters get their add-ons (MetalLB, metrics-server,
 * Cilium settings) and, when spec.samples.enabled, the bookinfo samples without sidecars, so a
 * fleet can be brought under GitOps before a mesh joins it. No CA, no links, no gateway.
 */
import { addBookinfo } from '../../samples/bookinfo';
import { bookinfoPlacementSchema, placementSummary, resolveBookinfoPlacement, type BookinfoPlacement } from '../../samples/placement';
import type { MeshModule } from '../../contracts/mesh';

interface NoneCluster {
  readonly samples: BookinfoPlacement;
}

const noneClusterOf = (cluster: { readonly mesh: unknown }): NoneCluster => cluster.mesh as NoneCluster;

export const none: MeshModule = {
  type: 'none',
  charts: [],
  noGateway: true,
  clusterSchema: { samples: bookinfoPlacementSchema },
  samplesPinnedBy: (i) => `spec.clusters[${i}].samples`,
  resolve: () => ({}),
  resolveCluster: (raw, rank, fleet): NoneCluster => ({ samples: resolveBookinfoPlacement(raw.samples, rank, fleet.spec.clusters.length) }),
  rules: () => {},
  plan(plan) {
    addBookinfo(plan, noneClusterOf(plan.cluster).samples, {});
  },
  readme: {
    summary: () => 'No service mesh (add-ons and sample apps only)',
    topology: (fleet) => [
      '```mermaid',
      'flowchart LR',
      ...fleet.clusters.map((c) => `  c${fleet.clusters.indexOf(c)}["${c.name}<br/>${c.cni}"]`),
      '```',
      '',
      'The clusters are independent: no mesh joins them. Set `spec.mesh.type` to add one.',
    ],
    clusterRows: (plan, core) => [
      ['kubeconfig context', core.context],
      ['API server', core.apiServer],
      ['CNI', core.cni],
      ['add-ons', core.addOns],
      ['sample apps', plan.fleet.samples.enabled ? `${placementSummary(noneClusterOf(plan.cluster).samples)}, no sidecars` : 'disabled'],
      [core.gitopsPathLabel, core.gitopsPath],
      ['stages', core.stages],
    ],
    sections: () => [],
    stageSummaries: () => ({}),
    firewall: () => ['Nothing crosses between the clusters, so meshfleet needs no firewall opening.'],
    afterBootstrap: (_fleet, _dist, engine) => [`${engine} then applies the stages above.`],
  },
};
