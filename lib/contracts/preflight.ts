/**
 * What `preflight` looks for on a live cluster before the first synth is applied: each project as
 * one workload whose image tag is its version, and what fleet.yaml expects of it per cluster.
 * Modules declare these; lib/pipeline/preflight.ts reads the clusters and compares.
 */

/** How a project shows on a cluster: one workload, its version the tag of its image. */
export interface Footprint {
  /** "Istio", "MetalLB", "Cilium". */
  readonly project: string;
  readonly kind: 'Deployment' | 'DaemonSet';
  readonly namespace: string;
  /** The workload's name; with a trailing `*`, a prefix (istiod-1-26 is a revision of istiod). */
  readonly name: string;
  /** Other names of the same workload (MetalLB's manifests name it controller, its chart metallb-controller). */
  readonly aliases?: readonly string[];
  /** The container whose image tag is the version; undefined: the first. */
  readonly container?: string;
  /** The Helm release meshfleet installs it as: a workload of that release is meshfleet's own. */
  readonly release?: string;
}

/** The Cilium agent: the CNI `cilium` as a cluster shows it (a cluster's `cni` is core vocabulary). */
export const CILIUM_AGENT: Footprint = { project: 'Cilium', kind: 'DaemonSet', namespace: 'kube-system', name: 'cilium', container: 'cilium-agent' };

/** What fleet.yaml expects of a project on one cluster. */
export interface Expectation {
  readonly footprint: Footprint;
  /** installs: meshfleet installs `version` there (one from elsewhere collides); runs: the cluster must run it already. */
  readonly mode: 'installs' | 'runs';
  readonly version?: string;
  /** The fleet.yaml field that says so ("spec.clusters[2].metallb.install"). */
  readonly field: string;
  /** runs: the field that names the version the cluster should run, when fleet.yaml names one. */
  readonly versionField?: string;
  /** runs: whether the running one should come from a Helm release (self-managed) or not (the provider's); undefined: either. */
  readonly fromHelm?: boolean;
  /** What to change when the cluster disagrees (installs: one runs already; runs: none runs). */
  readonly fix: string;
  /** runs: what to change when it runs, but not from where `fromHelm` says; undefined: `fix`. */
  readonly originFix?: string;
}
