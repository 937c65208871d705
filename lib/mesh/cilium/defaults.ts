/** Defaults of spec.mesh.cilium, of Cilium's per-cluster fields and of spec.samples.affinity: the one place they are resolved. */
import type { Cluster, Fleet, RawCluster, RawFleet } from '../../fleet/types';
import type { KeyType } from '../../pki/certs';

export const CILIUM_DEFAULTS = {
  /** Cilium release; also the version of the cilium chart (1.16.5, 1.17.18, 1.18.12 still installable). @default '1.19.6' */
  ciliumVersion: '1.19.6',
  /** Helm repository of the cilium chart. @default 'https://helm.cilium.io/' */
  ciliumChartRepository: 'https://helm.cilium.io/',
  /** clustermesh.maxConnectedClusters: 255 or 511, equal on every cluster, set once at install. @default 255 */
  maxConnectedClusters: 255,
  /** Key type of the fleet's Cilium CA. @default 'ecdsa-p256' */
  ciliumCaKeyType: 'ecdsa-p256',
  /** @default 3650 */
  ciliumCaValidityDays: 3650,
  /** How peers reach the clustermesh-apiserver. @default 'LoadBalancer' */
  apiserverService: 'LoadBalancer',
  /** The clustermesh-apiserver NodePort (chart default), with apiserverService NodePort. @default 32379 */
  nodePort: 32379,
  /** Cilium's L7 proxy stays on under mesh type cilium (nothing asks to turn it off). @default false */
  disableL7Proxy: false,
  /** service.cilium.io/affinity of the sample's global service. @default 'none' */
  affinity: 'none',
} as const;

/** clustermesh-apiserver's port behind a LoadBalancer Service (and inside the cluster). */
export const APISERVER_PORT = 2379;

export type ApiserverService = 'LoadBalancer' | 'NodePort';
export type Affinity = 'local' | 'remote' | 'none';
export type AuthMode = 'legacy' | 'migration' | 'cluster';

export interface Cilium {
  readonly version: string;
  readonly chartRepository: string;
  readonly maxConnectedClusters: 255 | 511;
  readonly ca: { readonly keyType: KeyType; readonly validityDays: number };
  /** spec.samples.affinity */
  readonly affinity: Affinity;
  /** clustermesh.policyDefaultLocalCluster when fleet.yaml sets it (Cilium 1.18+); undefined: the chart's default. */
  readonly policyDefaultLocalCluster?: boolean;
  /** clustermesh.apiserver.tls.authMode when fleet.yaml sets it (Cilium 1.19+); undefined: the chart's default (migration). */
  readonly authMode?: AuthMode;
}

export interface CiliumCluster {
  /** cluster.id */
  readonly clusterId: number | undefined;
  readonly podCIDR: string | undefined;
  readonly serviceCIDR: string | undefined;
  /** The provider runs Cilium: such a cluster cannot join (rules say why). */
  readonly managed: boolean;
  readonly disableL7Proxy: boolean;
  readonly apiserverService: ApiserverService;
  /** With NodePort: the node IPs the other clusters reach. */
  readonly nodeAddresses: readonly string[];
  readonly nodePort: number;
  readonly samples: { readonly userlist: boolean; readonly curl: boolean };
}

export interface RawCiliumCluster {
  managed?: boolean;
  disableL7Proxy?: boolean;
  clusterId?: number;
  apiserverService?: ApiserverService;
  nodeAddresses?: string[];
  nodePort?: number;
}

interface RawCilium {
  version?: string;
  chartRepository?: string;
  maxConnectedClusters?: 255 | 511;
  ca?: { keyType?: KeyType; validityDays?: number };
  policyDefaultLocalCluster?: boolean;
  authMode?: AuthMode;
}

export const rawCiliumOf = (raw: RawFleet): RawCilium | undefined => raw.spec.mesh.cilium as RawCilium | undefined;
export const rawCiliumClusterOf = (raw: RawCluster): RawCiliumCluster | undefined => raw.cilium as RawCiliumCluster | undefined;

export function resolveCilium(raw: RawFleet): Cilium {
  const c = rawCiliumOf(raw);
  return {
    version: c?.version ?? CILIUM_DEFAULTS.ciliumVersion,
    chartRepository: c?.chartRepository ?? CILIUM_DEFAULTS.ciliumChartRepository,
    maxConnectedClusters: c?.maxConnectedClusters ?? CILIUM_DEFAULTS.maxConnectedClusters,
    ca: { keyType: c?.ca?.keyType ?? CILIUM_DEFAULTS.ciliumCaKeyType, validityDays: c?.ca?.validityDays ?? CILIUM_DEFAULTS.ciliumCaValidityDays },
    affinity: (raw.spec.samples?.affinity as Affinity | undefined) ?? CILIUM_DEFAULTS.affinity,
    ...(c?.policyDefaultLocalCluster !== undefined ? { policyDefaultLocalCluster: c.policyDefaultLocalCluster } : {}),
    ...(c?.authMode !== undefined ? { authMode: c.authMode } : {}),
  };
}

export function resolveCiliumCluster(raw: RawCluster): CiliumCluster {
  const c = rawCiliumClusterOf(raw);
  const samples = raw.samples as { userlist?: boolean; curl?: boolean } | undefined;
  return {
    clusterId: c?.clusterId,
    podCIDR: raw.podCIDR as string | undefined,
    serviceCIDR: raw.serviceCIDR as string | undefined,
    managed: c?.managed ?? false,
    disableL7Proxy: c?.disableL7Proxy ?? CILIUM_DEFAULTS.disableL7Proxy,
    apiserverService: c?.apiserverService ?? CILIUM_DEFAULTS.apiserverService,
    nodeAddresses: [...(c?.nodeAddresses ?? [])],
    nodePort: c?.nodePort ?? CILIUM_DEFAULTS.nodePort,
    // Seed 003 §4: userlist and the curl client on every cluster.
    samples: { userlist: samples?.userlist ?? true, curl: samples?.curl ?? true },
  };
}

/** The fleet's Cilium settings (only in a Cilium fleet). */
export const ciliumOf = (fleet: Fleet): Cilium => fleet.mesh.settings as Cilium;
/** A cluster's Cilium fields (only in a Cilium fleet). */
export const ciliumClusterOf = (cluster: Cluster): CiliumCluster => cluster.mesh as CiliumCluster;
