/**
 * Linkerd multicluster (seed 004): the mesh module. Every cluster runs its own Linkerd control
 * plane from Linkerd's edge Helm charts, with an identity issuer from the fleet's one trust anchor,
 * and the multicluster extension: a gateway each cluster exports services through, and a
 * service-mirror controller per peer that mirrors the peer's exported services.
 */
import type { MeshModule } from '../../contracts/mesh';
import { releaseInUse, type ReleaseTable } from '../../contracts/support';
import { LINKERD_RELEASES, LINKERD_SMI } from './defaults';
import { LINKERD_NAMESPACE, linkerdCa, type LinkerdPki } from './ca';
import { linkerdClustersOf, linkerdRevocationSteps } from './revoke';
import { addLinkerd } from './control-plane';
import { linkerdOf, resolveLinkerd, type Linkerd } from './defaults';
import { addLinks, linkLinkerd, linkStatus } from './link';
import { linkerdReadme } from './readme';
import { linkerdRules } from './rules';
import { addLinkerdSamples } from './samples';
import { linkerdSamplesSchema, linkerdSchema } from './schema';

/**
 * Open-source Linkerd supports only its latest release (linkerd/website data/versions.yaml: 2.19 =
 * edge-25.10.7 on 2025-10-31, 2.20 = edge-26.6.3 on 2026-06-23); Kubernetes ranges from
 * linkerd.io's "Supported Kubernetes Versions".
 */
const LINKERD_SUPPORT: ReleaseTable = {
  project: 'Linkerd', field: 'spec.mesh.linkerd.version', supported: 'only its latest release, 2.20 (edge-26.6.3)', installs: Object.keys(LINKERD_RELEASES),
  kubernetesSource: 'linkerd.io, "Supported Kubernetes Versions"',
  windows: [
    { line: '2.18', endOfLife: '2025-10-30', source: 'open-source Linkerd supports only its latest release, and 2.19 (edge-25.10.7) was released on 2025-10-31 (linkerd/website data/versions.yaml)', kubernetes: { min: '1.22', max: '1.32' } },
    { line: '2.20', source: 'open-source Linkerd supports only its latest release (linkerd/website data/versions.yaml)', kubernetes: { min: '1.31', max: '1.35' } },
  ],
};

export const linkerd: MeshModule<Linkerd, Record<string, never>, LinkerdPki> = {
  type: 'linkerd',
  gatewayServiceType: true,
  pins: { 'Linkerd (charts linkerd-crds, -control-plane, -multicluster)': Object.entries(LINKERD_RELEASES).map(([v, r]) => `${v} = ${r.edge}, charts ${r.chart}`).join('; ') },
  charts: [
    ...Object.values(LINKERD_RELEASES).flatMap((r) => [
      // The Gateway API CRDs it installs are marked keep; Linkerd's own are not.
      { chart: 'linkerd-crds', version: r.chart, uninstallDeletes: ['AuthorizationPolicy', 'EgressNetwork', 'ExternalWorkload', 'HTTPLocalRateLimitPolicy', 'HTTPRoute', 'MeshTLSAuthentication', 'NetworkAuthentication', 'Server', 'ServerAuthorization', 'ServiceProfile'] },
      { chart: 'linkerd-control-plane', version: r.chart },
      { chart: 'linkerd-multicluster', version: r.chart, uninstallDeletes: ['Link'] },
    ]),
    { chart: LINKERD_SMI.chart, version: LINKERD_SMI.version, uninstallDeletes: ['TrafficSplit'] },
  ],
  schema: linkerdSchema,
  clusterSchema: {},
  samplesSchema: linkerdSamplesSchema,
  resolve: resolveLinkerd,
  resolveCluster: () => ({}),
  samplesPinnedBy: () => 'spec.samples.exporter and spec.samples.client',
  footprint: { project: 'Linkerd', kind: 'Deployment', namespace: LINKERD_NAMESPACE, name: 'linkerd-destination', container: 'destination', release: 'linkerd-control-plane' },
  releasesInUse: (fleet) => [releaseInUse(LINKERD_SUPPORT, linkerdOf(fleet).version)],
  gatewayName: 'linkerd-gateway',
  // Linkerd's gateway-based multicluster: every cluster its own network, reached through its gateway.
  networkOf: (_m, name) => name,
  rules: linkerdRules,
  ca: { ...linkerdCa, clustersOf: linkerdClustersOf, revocationSteps: linkerdRevocationSteps },
  plan(plan) {
    addLinkerd(plan);
    addLinks(plan);
    addLinkerdSamples(plan);
  },
  link: {
    status: (fleet, pki) => linkStatus(fleet, pki),
    run: linkLinkerd,
    pendingHint: 'once the clusters run the mesh stage, run `npm run link`, then synth again.',
  },
  readme: linkerdReadme,
};
