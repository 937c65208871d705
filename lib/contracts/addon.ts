/**
 * A cluster add-on (MetalLB, metrics-server, Cilium settings …): one folder under lib/addons/
 * that owns its per-cluster block of fleet.yaml, its defaults, its rules and its constructs.
 * Add-ons plan before the mesh; a fact the mesh needs from an add-on (the annotations that pin
 * the gateway address) goes through the plan, never through an import.
 */
import type { AddProblem, AddWarning } from '../fleet/parse';
import type { JsonSchema } from '../fleet/schema';
import type { Cluster, Fleet, RawCluster, RawFleet } from '../fleet/types';
import type { ClusterPlan } from './plan';
import type { ChartPin } from './chart';
import type { Expectation, Footprint } from './preflight';

export interface AddOn {
  /** The key of its block under spec.clusters[] and in Cluster.addons. */
  readonly name: string;
  /** Its fields of spec.clusters[], by key. */
  readonly clusterSchema: Readonly<Record<string, JsonSchema>>;
  /** The cluster's settings with defaults filled in; undefined when the cluster does not use it. */
  resolveCluster(raw: RawCluster, fleet: RawFleet): unknown;
  /** Rules JSON Schema cannot express; reads the resolved fleet and, for positions, the raw one. */
  rules(fleet: Fleet, raw: RawFleet, add: AddProblem, warn: AddWarning): void;
  /** Adds its objects to a cluster (and publishes facts for the mesh on the plan). */
  plan(plan: ClusterPlan): void;
  /** Whether it assigns the cluster's pinned gateway.address to the mesh's gateway Service (MetalLB does). */
  assignsGatewayAddress?(cluster: Cluster): boolean;
  /** How it shows on a live cluster, for `preflight` (MetalLB's controller: what assigns LoadBalancer addresses). */
  readonly footprint?: Footprint;
  /** What it expects of the live cluster, for `preflight`: what it installs there, or what must run already. */
  expects?(cluster: Cluster): Expectation[];
  /** One phrase for the cluster's "add-ons" row in dist/README.md; undefined when not used there. */
  summary(cluster: Cluster): string | undefined;
  /** What it pins (versions of releases, charts, APIs), for `--version`: label → value. */
  readonly pins?: Readonly<Record<string, string>>;
  /** Every chart at every version it can deliver (`npm run import` records their value keys). */
  readonly charts: readonly ChartPin[];
}
