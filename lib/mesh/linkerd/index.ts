/**
 * Linkerd multicluster (seed 004): the mesh module. Every cluster runs its own Linkerd control
 * plane from Linkerd's edge Helm charts, with an identity issuer from the fleet's one trust anchor,
 * and the multicluster extension: a gateway each cluster exports services through, and a
 * service-mirror controller per peer that mirrors the peer's exported services.
 */
import type { MeshModule } from '../../contracts/mesh';
import { releaseInUse, type ReleaseTable, type UpgradeStep } from '../../contracts/support';
import { compareVersions, minorOf } from '../../format/semver';
import { LINKERD_RELEASES, LINKERD_SMI } from './defaults';
import { LINKERD_NAMESPACE, linkerdCa, type LinkerdPki } from './ca';
import { linkerdClustersOf, linkerdRevocationSteps } from './revoke';
import { addLinkerd } from './control-plane';
import { linkerdOf, resolveLinkerd, type Linkerd } from './defaults';
import { addLinks, addRemoteAccessTokens, linkLinkerd, linkStatus, retireRemoteAccessTokens } from './link';
import { linkerdReadme, linkerdRotation } from './readme';
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

/** The Gateway API release meshfleet installs for Linkerd 2.19+ (the newest Linkerd 2.20 supports). */
const GATEWAY_API_FOR_LINKERD = '1.5.1';

/**
 * Linkerd's upgrade notes: the control plane may run one version ahead of the proxies, not more.
 * 2.18 → 2.20 in place leaves every proxy two versions behind until its pod restarts, so synth
 * says so, with the restart that ends it (meshfleet installs no 2.19 to step through).
 */
function linkerdUpgradeStep(chart: string, from: string, to: string): UpgradeStep | undefined {
  if (chart !== 'linkerd-control-plane') return undefined;
  const version = (c: string): string | undefined => Object.entries(LINKERD_RELEASES).find(([, r]) => r.chart === c)?.[0];
  const [a, b] = [version(from), version(to)];
  if (!a || !b) return undefined;
  const minor = (v: string): number => minorOf(v)[1];
  if (Math.abs(minor(b) - minor(a)) <= 1) return undefined;
  return {
    field: 'spec.mesh.linkerd.version', warning: true,
    rule: `Linkerd ${a} → ${b} skips a release: until their pods restart, the proxies run ${minor(b) - minor(a)} versions behind the control plane, more than Linkerd's upgrade notes support (one)`,
    fix: 'once every cluster\'s linkerd-control-plane is Ready on the new release, restart the meshed workloads (`kubectl rollout restart deploy -n <namespace>` for each meshed namespace) and check with `linkerd check --proxy` (dist/README.md, "Upgrading")',
  };
}

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
  // From 2.19 linkerd-crds leaves the Gateway API CRDs out (installGatewayAPI: false); the policy
  // controller still needs HTTPRoute and GRPCRoute. 2.20 supports Gateway API 1.2.1 to 1.5.1.
  gatewayApi: (fleet) => (compareVersions(`${linkerdOf(fleet).version}.0`, '2.19.0') >= 0 ? GATEWAY_API_FOR_LINKERD : undefined),
  upgradeStep: linkerdUpgradeStep,
  gatewayName: 'linkerd-gateway',
  // Linkerd's gateway-based multicluster: every cluster its own network, reached through its gateway.
  networkOf: (_m, name) => name,
  rules: linkerdRules,
  ca: { ...linkerdCa, clustersOf: linkerdClustersOf, revocationSteps: linkerdRevocationSteps, rootRotation: linkerdRotation },
  plan(plan) {
    addLinkerd(plan);
    addLinks(plan);
    addRemoteAccessTokens(plan);
    addLinkerdSamples(plan);
  },
  link: {
    status: (fleet, pki) => linkStatus(fleet, pki),
    run: linkLinkerd,
    pendingHint: 'once the clusters run the mesh stage, run `npm run link`, then synth again.',
    tokens: { name: 'remote-access token', retireSteps: retireRemoteAccessTokens },
  },
  readme: linkerdReadme,
};
