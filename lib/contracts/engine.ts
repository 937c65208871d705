/**
 * A GitOps engine: how a cluster's stages and Helm charts are delivered. Features never build an
 * engine's objects themselves; they ask the plan for a Helm chart install or a merge patch, and
 * the engine of the fleet (spec.gitops.engine) decides what that becomes. Flux: one Kustomization
 * per stage chained with dependsOn, HelmRepository + HelmRelease per chart.
 */
import type { App } from 'cdk8s';
import type { Construct } from 'constructs';
import type { Cluster, Fleet } from '../fleet/types';
import type { KubeObject, RuntimeField } from '../kube';
import type { StageName } from './stages';
import type { Tree } from './tree';
import type { LocatedObject } from './tree';

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
  /**
   * The later stage this chart's workloads need before they can become ready (an Istio remote's
   * east-west gateway: its proxies get certificates only after `npm run link`, which reads the
   * reader token of `mesh-config`). Implies `wait: false`. An engine that waits for every chart
   * before it applies what follows (Argo CD's sync waves) applies the chart right after that
   * stage's manifests, so nothing that stage holds waits for it. @default - none
   */
  readonly readyAfter?: StageName;
  /**
   * Fields of the chart's objects that something in the cluster sets after the install (a
   * controller patching a webhook's caBundle, a certgen Job filling a Secret, a template that
   * generates a certificate on every render): an engine that compares what git renders with the
   * live objects (Argo CD) must ignore them, or the Application never stays in sync. @default none
   */
  readonly runtimeFields?: readonly RuntimeField[];
}

export interface DeliveryInput {
  readonly fleet: Fleet;
  readonly cluster: Cluster;
  /**
   * The stages that have content, in apply order, with the objects each applies to the cluster
   * (empty for a stage that only installs Helm charts through an engine that keeps them off the
   * cluster's manifests, like Argo CD).
   */
  readonly stages: ReadonlyMap<StageName, readonly KubeObject[]>;
  /** The Helm charts features asked each stage to install (`plan.helmChart`), in the order asked. */
  readonly charts: ReadonlyMap<StageName, readonly HelmInstall[]>;
  /** Where dist/ sits in the git repository the engine pulls, POSIX (e.g. "dist"). */
  readonly repoPath: string;
}

/** What `helm template` needs from an object that installs a chart (and from its chart repository). */
export interface ReleaseRef {
  /** HelmRelease metadata.name. */
  readonly name: string;
  readonly releaseName: string;
  /** Where the chart's objects go: spec.targetNamespace, else the HelmRelease's namespace. */
  readonly namespace: string;
  readonly chart: string;
  readonly version: string;
  readonly values: Record<string, unknown>;
  /** Flux: HelmRepository namespace/name from spec.chart.spec.sourceRef; Argo CD: the repository's name as features call it. */
  readonly repository: { readonly name: string; readonly namespace: string };
  /** The chart repository's URL (Argo CD: the Application's Helm source; Flux: its HelmRepository's); undefined when not found. */
  readonly url?: string;
  /** What installs it: "HelmRelease" (default) or "Application". */
  readonly kind?: string;
}

export interface GitOpsEngine {
  /** spec.gitops.engine */
  readonly name: string;
  /** How the README names it, e.g. "Flux". */
  readonly title: string;
  /**
   * Adds the objects that install a Helm chart to a stage's scope (Flux: HelmRepository +
   * HelmRelease, applied to the cluster). An engine that installs charts from outside the cluster
   * adds nothing here and emits them in `deliver` from `DeliveryInput.charts`.
   */
  helmChart(scope: Construct, props: HelmInstall): void;
  /** Annotations for an object merged into one another manager owns, and never deleted by the engine. */
  readonly mergePatchAnnotations: Readonly<Record<string, string>>;
  /**
   * Annotations for an object the engine applies and owns but never deletes when it leaves the
   * output (CRDs others' objects depend on: deleting a CRD deletes every object of its kind).
   */
  readonly neverPruneAnnotations: Readonly<Record<string, string>>;
  /** The chart ("<repository>/<chart>") and values of an object that installs one, for values validation. */
  chartValues(obj: KubeObject): { chart: string; version: string; values: unknown } | undefined;
  /**
   * The release an object of this engine installs, the way the engine's controller renders it
   * (Flux's helm-controller, Argo CD's repo-server), for `helm-template` and the Helm tests;
   * undefined for an object that installs none. `given` is everything the cluster is given (its
   * stages' objects and its delivery objects), where Flux finds the HelmRepository's URL. Throws a
   * UsageError when the object pins no chart version.
   */
  releaseOf(obj: KubeObject, given: readonly KubeObject[]): ReleaseRef | undefined;
  /**
   * Paths under the output folder (dist-relative, files and folders) that the engine's own tooling
   * writes, such as the clusters/<cluster>/flux-system/ that `flux bootstrap` commits: meshfleet
   * never writes, removes or reads them. @default none
   */
  ownsPath?(path: string): boolean;
  /** The engine's objects that apply a cluster's stages, by dist-relative path. */
  deliver(app: App, input: DeliveryInput): [string, KubeObject][];
  /**
   * The kustomization.yaml of a stage folder, given its files (sorted) and objects; undefined or
   * absent = every file under `resources:`. May add files to the folder (e.g. a KSOPS generator
   * for the SOPS-encrypted files, which Argo CD cannot apply as they are).
   */
  stageKustomization?(entries: readonly (readonly [string, KubeObject])[]): StageKustomization;
  /** The engine's parts of dist/README.md. */
  readonly readme: EngineReadme;
  /**
   * What a change of the output folder makes the engine delete on live clusters, one warning per
   * cluster or object, with how to avoid it (detach first, suspend before a rename). Reads only
   * the engine's own objects among `change.removed`, whichever engine the fleet uses now.
   */
  pruneNotices(change: DeliveryChange): string[];
  /** What it pins (versions of releases, charts, APIs), for `--version`: label → value. */
  readonly pins?: Readonly<Record<string, string>>;
}

/** A change of the output folder, old → new (dist-relative trees), as the engines see it. */
export interface DeliveryChange {
  readonly old: Tree;
  readonly new: Tree;
  /** Objects only the old tree has, and only the new one has. */
  readonly removed: readonly LocatedObject[];
  readonly added: readonly LocatedObject[];
  /** Clusters with files in the old tree and none in the new one: they left the fleet (or were renamed). */
  readonly clustersLeft: readonly string[];
  /** A cluster's kubeconfig context when it is still in the fleet, for the commands. */
  contextOf(cluster: string): string | undefined;
  /** What meshfleet knows of a chart it delivers (the CRDs its removal deletes); undefined for another chart. */
  chartOf(chart: string, version: string): ChartFacts | undefined;
}

/** What a removal notice reads of a chart meshfleet delivers (a ChartPin, lib/helm/chart.ts). */
export interface ChartFacts {
  /** Kinds of the CRDs a Helm uninstall of the chart deletes. */
  readonly uninstallDeletes?: readonly string[];
}

/** Whether uninstalling the chart's release deletes CRDs (an unknown chart: it may). */
export const losesCrds = (pin: ChartFacts | undefined): boolean => pin === undefined || (pin.uninstallDeletes?.length ?? 0) > 0;

/**
 * What uninstalling a chart's release (Helm, as Flux's helm-controller does) also deletes: its CRDs
 * that Helm does not keep, and every object of those kinds in the cluster.
 */
export function crdLoss(pin: ChartFacts | undefined, chart: string): string {
  if (!pin) return `, and the CustomResourceDefinitions chart ${chart} renders as templates without helm.sh/resource-policy: keep, with every object of their kinds`;
  const kinds = pin.uninstallDeletes ?? [];
  if (kinds.length === 0) return '; any CRDs it has stay (crds/ folder, resource-policy keep, or made at run time)';
  return `, including the CustomResourceDefinitions of ${kinds.join(', ')} (templates without helm.sh/resource-policy: keep): every ${kinds.length === 1 ? kinds[0] : 'object of those kinds'} in the cluster goes with them, whoever made it`;
}

export interface StageKustomization {
  /** The kustomization.yaml document. */
  readonly kustomization: Record<string, unknown>;
  /** Extra files of the stage folder (file name → object), not applied as resources. */
  readonly files: readonly (readonly [string, Record<string, unknown>])[];
}

export interface EngineReadme {
  /** The folder the engine is pointed at for a cluster, dist-relative. */
  clusterPath(cluster: string): string;
  /** One paragraph before the stage table: how stages are ordered and awaited. */
  readonly stagesIntro: string;
  /** The bootstrap commands, one block for the whole fleet. */
  bootstrap(fleet: Fleet, dist: string): string[];
  /** The field manager of the engine's server-side apply: objects applied by hand before it, with this manager, are taken over without a conflict. */
  readonly fieldManager: string;
  /** What installs a chart, as the README names it ("HelmRelease", "Application"). */
  readonly chartObject: string;
  /** Whether the engine runs in every cluster (Flux) rather than on a hub (Argo CD). */
  readonly inCluster: boolean;
  /** One sentence: how the engine takes over a release installed by hand with `helm install` before it (`release`: namespace/name). */
  adoptsRelease(release: string): string;
  /** The command that makes the engine apply a cluster's stage now rather than at its next interval. */
  resyncCommand(cluster: Cluster, stage: StageName): string;
  /** The command that lists a cluster's stages and whether each is Ready (no --watch: it goes in copy-paste blocks). */
  readyCommand(cluster: Cluster): string;
  /** The runbook's bootstrap step, given the clusters in the order to bootstrap them (what it needs first, what to do after). */
  runbookBootstrap(order: readonly string[]): string;
}
