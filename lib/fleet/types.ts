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
