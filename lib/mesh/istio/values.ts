/**
 * Istio values shared by both install paths: the HelmReleases and the istioctl IstioOperator read
 * the same functions, so the two cannot disagree.
 */
import type { Cluster, Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../plan';
import { istioClusterOf, istioOf } from './defaults';

export const ISTIO_NAMESPACE = 'istio-system';
export const EASTWEST_GATEWAY = 'istio-eastwestgateway';
/** Selector label the gateway chart derives from the release name (`istio-` prefix trimmed). */
export const EASTWEST_SELECTOR = { istio: 'eastwestgateway' } as const;
/** istiod's default network gateway port (AUTO_PASSTHROUGH mTLS). */
export const EASTWEST_PORT = 15443;
export const NETWORK_LABEL = 'topology.istio.io/network';

/** istiod's `global` values: the mesh, this cluster's identity and network, and pinned gateways. */
export function istiodGlobalValues(fleet: Fleet, cluster: Cluster): Record<string, unknown> {
  const networks = meshNetworks(fleet);
  return {
    meshID: istioOf(fleet).meshID,
    multiCluster: { clusterName: cluster.name },
    network: istioClusterOf(cluster).network,
    ...(Object.keys(networks).length > 0 ? { meshNetworks: networks } : {}),
  };
}

/**
 * meshNetworks entries for every network whose gateway address is pinned in fleet.yaml. istiod
 * learns the other gateways from their Service status; a pinned address (e.g. a 1:1 NAT public IP
 * in front of a cluster without LoadBalancer support) has to be told explicitly, and identically on
 * every primary.
 */
export function meshNetworks(fleet: Fleet): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of fleet.clusters) {
    if (c.gateway.address === undefined) continue;
    out[istioClusterOf(c).network] = {
      endpoints: [{ fromRegistry: c.name }],
      gateways: [{ address: c.gateway.address, port: EASTWEST_PORT }],
    };
  }
  return out;
}

/** Annotations of the east-west gateway Service: what add-ons published (MetalLB pins the address). */
export function eastWestServiceAnnotations(plan: ClusterPlan): Record<string, string> {
  return { ...plan.gatewayServiceAnnotations };
}
