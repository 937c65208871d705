/**
 * The resolved fleet: fleet.yaml after validation, with every default filled in
 * (lib/fleet/defaults.ts is the one place that fills them). Everything downstream reads only these
 * types, never the raw YAML.
 */

export const FLEET_API_VERSION = 'meshfleet.io/v1alpha1';
export const FLEET_KIND = 'Fleet';

export type Cni = 'calico' | 'cilium' | 'other';
export type ReviewsVersion = 'v1' | 'v2' | 'v3';
export const REVIEWS_VERSIONS: readonly ReviewsVersion[] = ['v1', 'v2', 'v3'];

export interface Fleet {
  readonly name: string;
  readonly gitops: GitOps;
  readonly secrets: Secrets;
  readonly mesh: Mesh;
  /** In fleet.yaml order; the order decides sample placement and the order of every list we emit. */
  readonly clusters: readonly Cluster[];
  readonly samples: { readonly enabled: boolean };
}

export interface GitOps {
  readonly engine: 'flux';
  /** The git repository Flux pulls from (shown in the bootstrap commands). */
  readonly repoURL: string;
  readonly branch: string;
  /** Reconcile interval of every stage Kustomization. */
  readonly interval: string;
}

export interface Secrets {
  /** age recipients that can decrypt every secret (people or CI that operate the fleet). */
  readonly operators: readonly string[];
}

export interface Mesh {
  readonly type: 'istio';
  readonly istio: Istio;
}

export interface Istio {
  /** Istio release; also the version of the base, istiod and gateway Helm charts. */
  readonly version: string;
  readonly meshID: string;
  /** Helm repository the charts come from. */
  readonly chartRepository: string;
  /** The plug-in CA kept in pki/. */
  readonly ca: CaSettings;
}

export interface CaSettings {
  readonly keyType: 'rsa-4096' | 'ecdsa-p256';
  readonly rootValidityDays: number;
  readonly intermediateValidityDays: number;
}

export interface Cluster {
  /** Istio clusterName, remote-secret key and folder name. */
  readonly name: string;
  /** Position in spec.clusters, for error messages and sample placement. */
  readonly index: number;
  readonly context: string;
  readonly network: string;
  readonly apiServer: string;
  readonly ageRecipient: string;
  readonly cni: Cni;
  readonly gateway: Gateway;
  readonly samples: ClusterSamples;
  /** MetalLB for clusters whose LoadBalancer Services stay <pending>; undefined = none. */
  readonly metallb?: MetalLB;
  /** metrics-server for clusters that lack one; undefined = none. */
  readonly metricsServer?: MetricsServer;
  /** Cilium settings for Istio; set exactly when cni is cilium. */
  readonly cilium?: CiliumSettings;
}

export type Announce = 'none' | 'l2';

export interface MetalLB {
  /** Install MetalLB with its Helm chart; false when the cluster runs it already. */
  readonly install: boolean;
  /** MetalLB version (chart and app); decides the Service annotation prefix. */
  readonly version: string;
  /** CIDRs or "first-last" ranges of the pool. */
  readonly addresses: readonly string[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  /** l2: announce the pool with ARP/NDP; none: only assign (a NAT or LB in front forwards traffic). */
  readonly announce: Announce;
}

export interface MetricsServer {
  readonly install: boolean;
  /** metrics-server Helm chart version. */
  readonly version: string;
  /** Adds --kubelet-insecure-tls (do not verify kubelet serving certificates). */
  readonly kubeletInsecureTLS: boolean;
  /** Extra container args, appended after the chart's defaults. */
  readonly args: readonly string[];
}

export interface CiliumSettings {
  /** The provider runs Cilium (patch its ConfigMap) rather than your own Helm release. */
  readonly managed: boolean;
  /** Turn Cilium's L7 proxy off (seed 000 does; neither Cilium nor Istio requires it). */
  readonly disableL7Proxy: boolean;
}

export interface Gateway {
  /** Pinned external address of the east-west gateway; undefined = taken from the Service status. */
  readonly address?: string;
}

export interface ClusterSamples {
  /** Which reviews Deployments run here (the reviews Service runs everywhere). */
  readonly reviews: readonly ReviewsVersion[];
  /** Whether the sleep client runs here. */
  readonly sleep: boolean;
}
