/**
 * Istio values shared by both install paths: the HelmReleases and the istioctl IstioOperator read
 * the same functions, so the two cannot disagree.
 */
import type { StoreTrust } from '../../contracts/store';
import type { Cluster, Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import { hasEastWestGateway, istioClusterOf, istioOf, networksOf, primaryOf, remotesOf } from './defaults';

export const ISTIO_NAMESPACE = 'istio-system';
export const EASTWEST_GATEWAY = 'istio-eastwestgateway';
/** Selector label the gateway chart derives from the release name (`istio-` prefix trimmed). */
export const EASTWEST_SELECTOR = { istio: 'eastwestgateway' } as const;
/** istiod's default network gateway port (AUTO_PASSTHROUGH mTLS). */
export const EASTWEST_PORT = 15443;
/** The gateway's status port: readiness, and what a load balancer in front health-checks. */
export const STATUS_PORT = 15021;
export const NETWORK_LABEL = 'topology.istio.io/network';
/** On a remote's istio-system: the cluster whose istiod manages it (istiod with externalIstiod reads it). */
export const CONTROL_PLANE_CLUSTERS_ANNOTATION = 'topology.istio.io/controlPlaneClusters';
/** istiod's xDS/CA port and its webhook port, exposed on a primary's east-west gateway for its remotes. */
export const ISTIOD_XDS_PORT = 15012;
export const ISTIOD_WEBHOOK_PORT = 15017;

/** A network gateway port as Istio 1.30's gateway chart reads it (`networkGatewayPorts.<name>`). */
export type PortOverride = { port?: unknown; targetPort?: unknown; nodePort?: unknown; protocol?: unknown };

export function portOverrides(overrides: Fleet['overrides']): Record<string, PortOverride> | undefined {
  const ports = (overrides[EASTWEST_GATEWAY] as { networkGatewayPorts?: unknown } | undefined)?.networkGatewayPorts;
  return ports !== null && typeof ports === 'object' ? ports as Record<string, PortOverride> : undefined;
}

/** The east-west gateway Service's cross-network port on `cluster` (15443 unless fleet.yaml renumbers `tls`). */
export function eastWestServicePort(fleet: Fleet, cluster: Cluster): number {
  for (const overrides of [cluster.overrides, fleet.overrides]) {
    const port = portOverrides(overrides)?.tls?.port;
    if (typeof port === 'number') return port;
  }
  return EASTWEST_PORT;
}

/**
 * While the root is being replaced (two roots in cacerts' root-cert.pem): istiod accepts
 * certificates signed by either root (ISTIO_MULTIROOT_MESH; without it Istio trusts only the
 * first), and the proxies take their roots over xDS from the agent (PROXY_CONFIG_XDS_AGENT), so a
 * new bundle reaches running proxies without a restart. Upstream's multi-root procedure; off again after `finish`.
 */
export function multiRootValues(trust: StoreTrust | undefined): Record<string, unknown> {
  if (!trust?.nextPem) return {};
  return {
    pilot: { env: { ISTIO_MULTIROOT_MESH: 'true' } },
    meshConfig: { defaultConfig: { proxyMetadata: { PROXY_CONFIG_XDS_AGENT: 'true' } } },
  };
}

/** istiod's `global` values: the mesh, this cluster's identity and network, and pinned gateways. */
export function istiodGlobalValues(fleet: Fleet, cluster: Cluster): Record<string, unknown> {
  const networks = meshNetworks(fleet);
  return {
    meshID: istioOf(fleet).meshID,
    multiCluster: { clusterName: cluster.name },
    network: istioClusterOf(cluster).network,
    ...(Object.keys(networks).length > 0 ? { meshNetworks: networks } : {}),
    // A primary with remotes also serves as their external control plane: it takes the
    // leadership of the clusters annotated topology.istio.io/controlPlaneClusters=<primary>.
    ...(remotesOf(fleet, cluster).length > 0 ? { externalIstiod: true } : {}),
  };
}

/**
 * The istiod chart's values on a remote (Helm tab of Istio's "Install Primary-Remote"): the remote
 * profile installs no istiod, only the Service/Endpoints `istiod` pointing at the primary's
 * east-west gateway (global.remotePilotAddress) and the injection webhook that calls it with this
 * cluster's name and network in the path.
 */
export function remoteIstiodValues(fleet: Fleet, cluster: Cluster): Record<string, unknown> {
  const network = istioClusterOf(cluster).network;
  return {
    profile: 'remote',
    global: {
      // As upstream's Helm steps for a remote set it: with it the remote profile keeps istiod's
      // service account, roles and validating webhook in the cluster (for the primary's istiod).
      configCluster: true,
      multiCluster: { clusterName: cluster.name },
      network,
      remotePilotAddress: primaryOf(fleet, cluster).gateway.address,
    },
    istiodRemote: { injectionPath: `/inject/cluster/${cluster.name}/net/${network}` },
  };
}

/**
 * meshNetworks: for every network with a pinned east-west gateway address, the clusters (registries)
 * on it and those gateways. istiod learns unpinned gateways from their Service status (network
 * label); a pinned address (e.g. a 1:1 NAT public IP in front of a cluster without LoadBalancer
 * support) has to be told explicitly, and identically on every primary. A fleet of one network has
 * no cross-network gateway at all, so no entry (a pinned address there only exposes istiod).
 */
export function meshNetworks(fleet: Fleet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (networksOf(fleet).length < 2) return out;
  for (const network of networksOf(fleet)) {
    const members = fleet.clusters.filter((c) => istioClusterOf(c).network === network);
    const gateways = members
      .filter((c) => c.gateway.address !== undefined && hasEastWestGateway(fleet, c))
      .map((c) => ({ address: c.gateway.address!, port: eastWestServicePort(fleet, c) }));
    if (gateways.length === 0) continue;
    out[network] = { endpoints: members.map((c) => ({ fromRegistry: c.name })), gateways };
  }
  return out;
}


/** Annotations of the east-west gateway Service: what add-ons published (MetalLB pins the address). */
export function eastWestServiceAnnotations(plan: ClusterPlan): Record<string, string> {
  return { ...plan.gatewayServiceAnnotations };
}
