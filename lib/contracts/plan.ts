/**
 * The plan a feature adds to: per cluster, a cdk8s Chart per stage (plus charts written to files of
 * their own). Add-ons and then the mesh module add constructs to the stages they belong in; a stage
 * nobody adds to is not emitted. Features never build GitOps objects: they ask the plan for a Helm
 * chart or a merge patch, and the fleet's engine decides what that becomes. lib/pipeline/plan.ts
 * implements it; nothing here knows a mesh, an add-on or an engine by name.
 */
import type { App, Chart } from 'cdk8s';
import type { Problem } from '../errors';
import type { Cluster, Fleet } from '../fleet/types';
import type { GitOpsEngine, HelmInstall } from './engine';
import type { StageName } from './stages';

/** `Store`: what the mesh's CA store holds for synth (MeshModule's third parameter); add-ons see `unknown`. */
export interface ClusterPlan<Store = unknown> {
  readonly app: App;
  readonly fleet: Fleet;
  readonly cluster: Cluster;
  readonly engine: GitOpsEngine;
  /** What the mesh's CA store holds for synth; undefined renders without those secrets. */
  readonly pki?: Store;
  /**
   * The mesh's cross-cluster gateway (MeshModule.gatewayName), which names what add-ons make for
   * it (MetalLB's address pool); undefined where the mesh runs none.
   */
  readonly gatewayName?: string;
  /** What the mesh needs installed before it (MeshModule.gatewayApi), for the add-ons that install it. */
  readonly meshNeeds: { readonly gatewayApi?: string };
  /** Charts written to a file of their own under dist/, keyed by dist-relative path. */
  readonly extraFiles: ReadonlyMap<string, Chart>;
  /**
   * Plain text files under dist/ outside the stages, keyed by dist-relative path (e.g. a Helm values
   * file for a bootstrap `helm install`); no engine applies them, and they are written as given.
   */
  readonly textFiles: ReadonlyMap<string, string>;
  /**
   * Facts add-ons publish for the mesh: annotations the Service of the mesh's cross-cluster
   * gateway must carry (MetalLB's pinned address). Add-ons plan before the mesh does.
   */
  readonly gatewayServiceAnnotations: Record<string, string>;
  /** Overrides in fleet.yaml that would change what meshfleet derives; the pipeline refuses them. */
  readonly problems: readonly Problem[];
  /** Which fleet.yaml override blocks reached a release here ("spec.overrides.istiod" …). */
  readonly usedOverrides: ReadonlySet<string>;
  /** The releases whose values fleet.yaml's overrides changed, with where the overrides are. */
  readonly overridden: readonly { readonly install: HelmInstall; readonly where: readonly string[] }[];

  /**
   * A file copied into a stage byte for byte: SOPS-encrypted objects, whose bytes must not change
   * between synths (their MAC covers the document as written).
   */
  verbatim(stage: StageName, fileName: string, content: string): void;
  /** The verbatim files of a stage, by file name. */
  verbatimIn(stage: StageName): ReadonlyMap<string, string>;
  /** The chart of a stage, created on first use. */
  stage(name: StageName): Chart;
  /**
   * Installs a Helm chart in a stage, the way the fleet's GitOps engine does it, with fleet.yaml's
   * overrides for this release merged in; returns the values the release gets.
   */
  helmChart(stage: StageName, props: HelmInstall): Record<string, unknown>;
  /** The Helm charts asked of a stage, in the order asked. */
  chartsIn(stage: StageName): readonly HelmInstall[];
  /** A chart rendered to its own file, outside the stages. */
  file(path: string): Chart;
  /** A plain text file of its own under dist/ (not a Kubernetes object; never applied by the engine). */
  text(path: string, content: string): void;
  /** The stages that received content (objects, verbatim files or Helm charts), in apply order. */
  stages(): { name: StageName; chart: Chart }[];
}

/** Adds a feature's objects to one cluster's plan. */
export type PlanStep = (plan: ClusterPlan) => void;

export interface FleetPlan {
  readonly clusters: readonly ClusterPlan[];
}
