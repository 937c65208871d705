/**
 * Cilium ClusterMesh (seed 003): the mesh module. Cilium is every cluster's CNI, installed from its
 * Helm chart with a unique cluster.name / cluster.id, a clustermesh-apiserver and the full list of
 * peers; one Cilium CA for the fleet; the userlist sample as a global Service.
 */
import type { MeshModule } from '../../contracts/mesh';
import { CILIUM_RELEASES, SUPPORTED_CILIUM_VERSIONS } from './releases';
import { oneMinorAtATime, releaseInUse } from '../../contracts/support';
import { CILIUM_AGENT } from '../../contracts/preflight';
import { CILIUM_RELEASE } from './values';
import { ciliumCa, type CiliumPki } from './ca';
import { ciliumClustersOf, ciliumRevocationSteps } from './revoke';
import { addCilium } from './control-plane';
import { ciliumOf, resolveCilium, resolveCiliumCluster, type Cilium, type CiliumCluster } from './defaults';
import { ciliumReadme, ciliumRotation } from './readme';
import { ciliumRules } from './rules';
import { addUserlist } from './samples';
import { ciliumClusterSchema, ciliumSamplesSchema, ciliumSchema } from './schema';

export const cilium: MeshModule<Cilium, CiliumCluster, CiliumPki> = {
  type: 'cilium',
  pins: { 'Cilium chart': SUPPORTED_CILIUM_VERSIONS.join(', ') },
  charts: SUPPORTED_CILIUM_VERSIONS.map((version) => ({ chart: 'cilium', version })),
  schema: ciliumSchema,
  clusterSchema: ciliumClusterSchema,
  samplesSchema: ciliumSamplesSchema,
  cni: 'cilium',
  resolve: resolveCilium,
  resolveCluster: (raw) => resolveCiliumCluster(raw),
  gatewayName: 'clustermesh-apiserver',
  rules: ciliumRules,
  samplesPinnedBy: (i) => `spec.clusters[${i}].samples`,
  footprint: { ...CILIUM_AGENT, release: CILIUM_RELEASE },
  releasesInUse: (fleet) => [releaseInUse(CILIUM_RELEASES, ciliumOf(fleet).version)],
  upgradeStep: (_chart, from, to) => oneMinorAtATime(CILIUM_RELEASES, from, to, 'docs.cilium.io, "Upgrade Guide": the only tested upgrade and rollback path is between consecutive minor releases'),
  // Placeholders the user replaces: ids 1, 2, … and pod ranges 10.1.0.0/16, 10.2.0.0/16, … (unique, as ClusterMesh needs).
  scaffoldCluster: (i) => ({ podCIDR: `10.${i + 1}.0.0/16`, cilium: { clusterId: i + 1 } }),
  ca: { ...ciliumCa, clustersOf: ciliumClustersOf, revocationSteps: ciliumRevocationSteps, rootRotation: ciliumRotation },
  plan(plan) {
    addCilium(plan);
    addUserlist(plan);
  },
  readme: ciliumReadme,
};
