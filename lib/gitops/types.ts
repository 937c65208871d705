/**
 * A GitOps engine: how a cluster's stages and Helm charts are delivered. Features never build an
 * engine's objects themselves; they ask the plan for a Helm chart install or a merge patch, and
 * the engine of the fleet (spec.gitops.engine) decides what that becomes. Flux: one Kustomization
 * per stage chained with dependsOn, HelmRepository + HelmRelease per chart.
 */
import type { App } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Cluster, Fleet } from '../fleet/types';
import type { KubeObject } from '../kube';
import type { StageName } from './stages';

/** A Helm chart to install, as features ask for it. */
export interface HelmInstall {
  /** The release name (and the name of the engine's object for it). */
  readonly name: string;
  readonly namespace: string;
  /** Where the chart comes from; one repository object per name and namespace is emitted per stage. */
  readonly repository: { readonly name: string; readonly url: string };
  readonly chart: string;
  readonly version: string;
  readonly values?: Record<string, unknown>;
  /** Other releases that must be Ready first: a name (same namespace) or a name in another namespace. */
  readonly dependsOn?: readonly (string | { readonly name: string; readonly namespace: string })[];
  /**
   * false: the release counts as installed once Helm has applied it, without waiting for its
   * workloads to become ready (for workloads that can only become ready after a later stage).
   * @default true
   */
  readonly wait?: boolean;
}

export interface DeliveryInput {
  readonly fleet: Fleet;
  readonly cluster: Cluster;
  /** The stages that have content, in apply order, with the objects each applies. */
  readonly stages: ReadonlyMap<StageName, readonly KubeObject[]>;
  /** Where dist/ sits in the git repository the engine pulls, POSIX (e.g. "dist"). */
  readonly repoPath: string;
}

export interface GitOpsEngine {
  /** spec.gitops.engine */
  readonly name: string;
  /** How the README names it, e.g. "Flux". */
  readonly title: string;
  /** Adds the objects that install a Helm chart to a stage's scope. */
  helmChart(scope: Construct, props: HelmInstall): void;
  /** Annotations for an object merged into one another manager owns, and never deleted by the engine. */
  readonly mergePatchAnnotations: Readonly<Record<string, string>>;
  /** The chart ("<repository>/<chart>") and values of an object that installs one, for values validation. */
  chartValues(obj: KubeObject): { chart: string; values: unknown } | undefined;
  /** The engine's objects that apply a cluster's stages, by dist-relative path. */
  deliver(app: App, input: DeliveryInput): [string, KubeObject][];
  /** The engine's parts of dist/README.md. */
  readonly readme: EngineReadme;
  /** What it pins (versions of releases, charts, APIs), for `--version`: label → value. */
  readonly pins?: Readonly<Record<string, string>>;
}

export interface EngineReadme {
  /** The folder the engine is pointed at for a cluster, dist-relative. */
  clusterPath(cluster: string): string;
  /** One paragraph before the stage table: how stages are ordered and awaited. */
  readonly stagesIntro: string;
  /** The bootstrap commands, one block for the whole fleet. */
  bootstrap(fleet: Fleet, dist: string): string[];
}
