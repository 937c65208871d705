/**
 * The east-west gateway's Service ports. Up to Istio 1.29 the gateway chart hard-codes a network
 * gateway's four ports; 1.30 reads them from `networkGatewayPorts`, which fleet.yaml may set through
 * the release's overrides (spec.overrides / spec.clusters[].overrides `istio-eastwestgateway`).
 * Renumbering the cross-network port (`tls`, 15443) is followed everywhere the fleet announces it
 * (meshNetworks, the extra NodePort Service); the istiod ports a remote reaches (15012, 15017) and the
 * pods' own ports stay fixed, and NodePorts keep their fields (eastWestNodePort,
 * eastWestStatusNodePort), which survive re-creating the chart's Service.
 */
import type { AddProblem } from '../../fleet/parse';
import type { Fleet } from '../../fleet/types';
import { compareVersions } from '../../format/semver';
import { istioOf } from './defaults';
import { EASTWEST_GATEWAY, ISTIOD_WEBHOOK_PORT, ISTIOD_XDS_PORT, portOverrides } from './values';

/** The first Istio release whose gateway chart reads networkGatewayPorts. */
const NETWORK_GATEWAY_PORTS_SINCE = '1.30.0';

type Segment = string | number;

/** Every override block of the fleet with where it is: spec.overrides, then each cluster's. */
const overrideBlocks = (fleet: Fleet): [Segment[], Fleet['overrides']][] => [
  [['spec', 'overrides'], fleet.overrides],
  ...fleet.clusters.map((c, i): [Segment[], Fleet['overrides']] => [['spec', 'clusters', i, 'overrides'], c.overrides]),
];

const FIXED: Readonly<Record<string, number>> = { 'tls-istiod': ISTIOD_XDS_PORT, 'tls-webhook': ISTIOD_WEBHOOK_PORT };

export function networkGatewayPortRules(fleet: Fleet, add: AddProblem): void {
  const version = istioOf(fleet).version;
  for (const [where, overrides] of overrideBlocks(fleet)) {
    const ports = portOverrides(overrides);
    if (!ports) continue;
    const at = [...where, EASTWEST_GATEWAY, 'networkGatewayPorts'];
    if (compareVersions(version, NETWORK_GATEWAY_PORTS_SINCE) < 0) {
      add(at, ports, `the gateway chart reads networkGatewayPorts only from Istio 1.30; ${version} hard-codes a network gateway's ports (15021, 15443, 15012, 15017)`,
        'remove networkGatewayPorts, or move spec.mesh.istio.version to 1.30.3 first');
      continue;
    }
    for (const [name, p] of Object.entries(ports)) {
      if (p === null || typeof p !== 'object') continue;
      if (p.nodePort !== undefined) {
        const field = name === 'status-port' ? 'eastWestStatusNodePort' : 'eastWestNodePort';
        add([...at, name, 'nodePort'], p.nodePort, 'a NodePort set on the chart\'s Service is lost whenever that Service is re-created, and the chart does not read it',
          `remove it and set spec.clusters[].${field} (meshfleet keeps it on a Service of its own)`);
      }
      if (p.targetPort !== undefined && name in { 'status-port': 1, tls: 1, ...FIXED }) {
        add([...at, name, 'targetPort'], p.targetPort, 'the gateway pods listen on Istio\'s fixed ports; a changed targetPort reaches nothing',
          'remove targetPort: renumber only port, the Service side');
      }
      const fixed = FIXED[name];
      if (fixed !== undefined && p.port !== undefined && p.port !== fixed) {
        add([...at, name, 'port'], p.port, `remotes reach their primary's istiod on ${fixed} through this gateway (global.remotePilotAddress has no port)`,
          `keep ${name} on ${fixed}: remove port`);
      }
    }
  }
}

/**
 * Istio 1.30's `global.enableReaderRBAC` (base and istiod) gates the istio-reader-service-account
 * and its ClusterRole: the identity a primary's remote secret for this cluster authenticates as
 * (`npm run link` reads its token). Off, every primary loses this cluster's endpoints.
 */
export function readerRbacRules(fleet: Fleet, add: AddProblem): void {
  if (fleet.clusters.length < 2) return;
  for (const [at, overrides] of overrideBlocks(fleet)) {
    for (const release of ['istio-base', 'istiod']) {
      const value = (overrides[release]?.global as { enableReaderRBAC?: unknown } | undefined)?.enableReaderRBAC;
      if (value === false) {
        add([...at, release, 'global', 'enableReaderRBAC'], value, 'removes istio-reader-service-account, the identity every primary\'s remote secret for this cluster uses: cross-cluster endpoints stop',
          'remove it (Istio keeps reader RBAC on by default)');
      }
    }
  }
}
