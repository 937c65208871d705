/**
 * The cilium chart's values for one cluster (docs D.3: ClusterMesh fully declarative). The Flux
 * HelmRelease and the bootstrap values file read the same function, so the release Flux adopts
 * is the one `helm install` made.
 */
import type { StoreTrust } from '../../contracts/store';
import { bundleOf } from '../../pki/rotation';
import { isIP } from 'node:net';
import type { Cluster, Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import { APISERVER_PORT, ciliumClusterOf, ciliumOf } from './defaults';

export const CILIUM_NAMESPACE = 'kube-system';
export const CILIUM_RELEASE = 'cilium';
export const CILIUM_HELM_REPOSITORY = 'cilium';
/** The Secret the chart's certgen jobs read the CA from (--ca-secret-name=cilium-ca, keys ca.crt / ca.key). */
export const CILIUM_CA_SECRET = 'cilium-ca';
/** When certgen renews the clustermesh and Hubble certificates: midnight on the 1st of every fourth month (values.yaml's example). */
export const CERT_RENEWAL_SCHEDULE = '0 0 1 */4 *';

/** One entry of clustermesh.config.clusters: where a cluster's clustermesh-apiserver is reached. */
export interface MeshPeer {
  readonly name: string;
  readonly address?: string;
  readonly ips?: readonly string[];
  readonly port: number;
}

export function peerOf(c: Cluster): MeshPeer {
  const m = ciliumClusterOf(c);
  if (m.apiserverService === 'NodePort') return { name: c.name, ips: [...m.nodeAddresses], port: m.nodePort };
  const address = c.gateway.address!;
  // An IP is reached as <name>.mesh.cilium.io (the chart maps it with hostAliases), which the
  // server certificate covers; a DNS name is used as is and added to the server certificate.
  return isIP(address) !== 0 ? { name: c.name, ips: [address], port: APISERVER_PORT } : { name: c.name, address, port: APISERVER_PORT };
}

/**
 * Every cluster of the fleet, in fleet.yaml order: the identical list goes to every cluster (the
 * agent and KVStoreMesh skip the entry named after their own cluster).
 */
export function meshPeers(fleet: Fleet): MeshPeer[] {
  return fleet.clusters.map(peerOf);
}

export function ciliumValues(plan: ClusterPlan): Record<string, unknown> {
  const { fleet, cluster } = plan;
  const m = ciliumClusterOf(cluster);
  const self = peerOf(cluster);
  const service = m.apiserverService === 'NodePort'
    ? { type: 'NodePort', nodePort: m.nodePort }
    : { type: 'LoadBalancer', ...(Object.keys(plan.gatewayServiceAnnotations).length > 0 ? { annotations: { ...plan.gatewayServiceAnnotations } } : {}) };
  // cronJob, not helm: certgen (a Job after install/upgrade) signs with the cilium-ca Secret
  // meshfleet delivers and reuses what exists, so no render regenerates certificates, and the
  // chart never renders (and so never owns) cilium-ca itself. The schedule renews them in the
  // cluster (the values' own example) before they expire: Flux upgrades, which rerun the hook
  // Job, only when fleet.yaml changes, and Hubble's certificates last a year.
  const cronJob = { auto: { enabled: true, method: 'cronJob', schedule: CERT_RENEWAL_SCHEDULE } };
  const { policyDefaultLocalCluster, authMode } = ciliumOf(fleet);
  // While the fleet's CA is being replaced, every certificate Hubble and ClusterMesh verify is
  // checked against both CAs (the chart's CA trust bundle, a ConfigMap it makes), this cluster's first.
  const trust = (plan.pki as { trust?: StoreTrust } | undefined)?.trust;
  return {
    ...(trust?.nextPem ? { tls: { caBundle: { enabled: true, content: bundleOf(trust, cluster.name).join('') } } } : {}),
    cluster: { name: cluster.name, id: m.clusterId },
    ipam: { mode: 'cluster-pool', operator: { clusterPoolIPv4PodCIDRList: [m.podCIDR] } },
    ...(m.disableL7Proxy ? { l7Proxy: false } : {}),
    rollOutCiliumPods: true,
    operator: { rollOutPods: true },
    hubble: { tls: cronJob },
    clustermesh: {
      useAPIServer: true,
      maxConnectedClusters: ciliumOf(fleet).maxConnectedClusters,
      ...(policyDefaultLocalCluster !== undefined ? { policyDefaultLocalCluster } : {}),
      config: { enabled: true, clusters: meshPeers(fleet).map((p) => ({ ...p, ...(p.ips ? { ips: [...p.ips] } : {}) })) },
      apiserver: {
        service,
        tls: { ...cronJob, ...(authMode ? { authMode } : {}), ...(self.address ? { server: { extraDnsNames: [self.address] } } : {}) },
      },
    },
  };
}
