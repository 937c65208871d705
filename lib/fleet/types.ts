/**
 * The resolved fleet: fleet.yaml after validation, with every default filled in. The core fields
 * are typed here; what a mesh module or an add-on adds (spec.mesh.<type>, a cluster's `network`,
 * `metallb` …) is resolved by that module and read back through the module's own accessor
 * (e.g. `istioOf(fleet)`, `metallbOf(cluster)`), so this file names no mesh and no add-on.
 */

export const FLEET_API_VERSION = 'meshfleet.io/v1alpha1';
export const FLEET_KIND = 'Fleet';

export type Cni = 'calico' | 'cilium' | 'other';

export interface Fleet {
  readonly name: string;
  readonly gitops: GitOps;
  readonly secrets: Secrets;
  /** `type` picks the mesh module (lib/mesh/registry.ts); the rest is that module's, resolved by it. */
  readonly mesh: MeshSettings;
  /** In fleet.yaml order: the order of every list we emit. */
  readonly clusters: readonly Cluster[];
  readonly samples: { readonly enabled: boolean };
  /** Helm values merged into a release on every cluster, by release name (spec.overrides). */
  readonly overrides: Readonly<Record<string, Record<string, unknown>>>;
}

export interface MeshSettings {
  readonly type: string;
  /** spec.mesh.<type> with the module's defaults filled in; read it through the module's accessor. */
  readonly settings: unknown;
}

export interface GitOps {
  /** Picks the GitOps engine (lib/gitops/registry.ts). */
  readonly engine: string;
  /** The git repository the engine pulls from (shown in the bootstrap commands). */
  readonly repoURL: string;
  readonly branch: string;
  /** Reconcile interval of every stage. */
  readonly interval: string;
}

export interface Secrets {
  /** age recipients that can decrypt every secret (people or CI that operate the fleet). */
  readonly operators: readonly string[];
}

/**
 * Whether the other clusters dial an address (a floating IP, a NAT) that something in front forwards
 * to another one, the one the gateway's Service asks for.
 */
export const isForwarded = (gateway: Gateway): boolean =>
  gateway.address !== undefined && gateway.serviceAddress !== undefined && gateway.address !== gateway.serviceAddress;

/** Cluster.network where the mesh puts every cluster on one network. */
export const SHARED_NETWORK = '';

export interface Cluster {
  /** Folder name, the mesh's cluster name and remote-secret key. */
  readonly name: string;
  /** Position in spec.clusters, for error messages only (output never depends on the list's order). */
  readonly index: number;
  readonly context: string;
  readonly apiServer: string;
  readonly ageRecipient: string;
  readonly cni: Cni;
  readonly gateway: Gateway;
  /**
   * The network the cluster's nodes and LoadBalancer addresses are on, as the mesh sees it
   * (MeshModule.networkOf): clusters on different networks reach each other only through their
   * gateways' announced addresses, so their private address ranges may repeat. One shared network
   * (SHARED_NETWORK) where the mesh does not separate them.
   */
  readonly network: string;
  /** The mesh module's per-cluster fields, resolved by it; read through its accessor. */
  readonly mesh: unknown;
  /** Each add-on's per-cluster settings by add-on name; absent when the cluster does not use it. */
  readonly addons: Readonly<Record<string, unknown>>;
  /** The cluster's Kubernetes version as fleet.yaml gives it ("1.32"); undefined: not said. */
  readonly kubernetesVersion?: string;
  /** Where this cluster pulls images and charts from (spec.clusters[].registries over spec.registries); empty: upstream. */
  readonly registries: Registries;
  /** Helm values merged into a release on this cluster, by release name (after spec.overrides). */
  readonly overrides: Readonly<Record<string, Record<string, unknown>>>;
}

export type GatewayServiceType = 'LoadBalancer' | 'NodePort';

export interface Gateway {
  /** Pinned external address of the mesh's cross-cluster gateway; undefined = taken from the Service status. */
  readonly address?: string;
  /**
   * The address the gateway's LoadBalancer Service asks for (MetalLB's pool), where a floating IP
   * or NAT in front forwards `address` to it; defaults to `address` when that is an IP.
   * Undefined: the Service takes whatever address it is given.
   */
  readonly serviceAddress?: string;
  /**
   * The type of the gateway's Service: LoadBalancer where something assigns LoadBalancer addresses
   * (a cloud provider's controller, MetalLB), NodePort where nothing does and a NAT or load balancer
   * in front forwards to the nodes (a LoadBalancer Service nothing serves never gets an address, and
   * Helm's wait never ends). Undefined where the mesh runs no such gateway (MeshModule.gatewayServiceType).
   */
  readonly serviceType?: GatewayServiceType;
}

/** A registry prefix for every image, a repository for every chart (spec.registries). */
export interface Registries {
  readonly images?: string;
  readonly charts?: string;
}

/** fleet.yaml after schema validation: required fields are present, optional ones may not be. */
export interface RawFleet {
  metadata: { name: string };
  spec: {
    gitops: { engine?: string; repoURL: string; branch?: string; interval?: string };
    secrets: { operators: string[] };
    mesh: { type: string } & Record<string, unknown>;
    clusters: RawCluster[];
    samples?: { enabled?: boolean } & Record<string, unknown>;
    overrides?: Record<string, Record<string, unknown>>;
    registries?: Registries;
  };
}

/** A cluster as written; module-owned fields are read by their modules. */
export interface RawCluster {
  name: string;
  context?: string;
  apiServer: string;
  ageRecipient: string;
  cni?: Cni;
  gateway?: { address?: string; serviceAddress?: string; serviceType?: GatewayServiceType };
  registries?: Registries;
  kubernetesVersion?: string;
  overrides?: Record<string, Record<string, unknown>>;
  [field: string]: unknown;
}
