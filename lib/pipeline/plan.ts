/**
 * The plan's implementation (lib/contracts/plan.ts is what features see). It merges fleet.yaml's
 * overrides into each Helm release. An override may add values and extend maps, but not change a
 * value meshfleet sets: those are derived from fleet.yaml fields (meshID, network, clusterName,
 * trust anchors, addresses …) for the mesh to work, and changing them behind meshfleet's back would
 * split the fleet's truth in two. Such an override is refused, naming the path; the fix is the
 * fleet.yaml field it comes from.
 */
import { App, Chart } from 'cdk8s';
import type { ClusterPlan, FleetPlan, PlanStep } from '../contracts/plan';
import type { Problem } from '../errors';
import type { Cluster, Fleet } from '../fleet/types';
import { STAGES, type StageName } from '../contracts/stages';
import type { GitOpsEngine, HelmInstall } from '../contracts/engine';
import { kubeVersionProblem, undeclaredOverrideKeys } from '../helm/declared';
import { derivedOverridePaths } from '../helm/derived';
import { changedPaths, mergeValues } from '../format/values';
import { imageValues } from '../helm/images';

class StagePlan implements ClusterPlan {
  private readonly stageCharts = new Map<StageName, Chart>();
  private readonly verbatimFiles = new Map<StageName, Map<string, string>>();
  private readonly helmInstalls = new Map<StageName, HelmInstall[]>();
  /** Charts written to a file of their own under dist/, keyed by dist-relative path. */
  readonly extraFiles = new Map<string, Chart>();
  /**
   * Plain text files under dist/ outside the stages, keyed by dist-relative path (e.g. a Helm values
   * file for a bootstrap `helm install`); no engine applies them, and they are written as given.
   */
  readonly textFiles = new Map<string, string>();
  /**
   * Facts add-ons publish for the mesh: annotations the Service of the mesh's cross-cluster
   * gateway must carry (MetalLB's pinned address). Add-ons plan before the mesh does.
   */
  readonly gatewayServiceAnnotations: Record<string, string> = {};
  /** Overrides in fleet.yaml that would change what meshfleet derives; the pipeline refuses them. */
  readonly problems: Problem[] = [];
  /** Which fleet.yaml override blocks reached a release here ("spec.overrides.istiod" …). */
  readonly usedOverrides = new Set<string>();
  /** The releases whose values fleet.yaml's overrides changed, with where the overrides are. */
  readonly overridden: { readonly install: HelmInstall; readonly where: readonly string[] }[] = [];

  constructor(
    readonly app: App,
    readonly fleet: Fleet,
    readonly cluster: Cluster,
    readonly engine: GitOpsEngine,
    /** What the mesh's CA store holds for synth (its own type); undefined renders without those secrets. */
    readonly pki?: unknown,
    /**
     * The mesh's cross-cluster gateway (MeshModule.gatewayName), which names what add-ons make for
     * it (MetalLB's address pool); undefined where the mesh runs none.
     */
    readonly gatewayName?: string,
    /** What the mesh needs installed before it (MeshModule.gatewayApi). */
    readonly meshNeeds: { readonly gatewayApi?: string } = {},
  ) {}

  /**
   * A file copied into a stage byte for byte: SOPS-encrypted objects, whose bytes must not change
   * between synths (their MAC covers the document as written).
   */
  verbatim(stage: StageName, fileName: string, content: string): void {
    let files = this.verbatimFiles.get(stage);
    if (!files) this.verbatimFiles.set(stage, (files = new Map()));
    files.set(fileName, content);
  }

  /** The verbatim files of a stage, by file name. */
  verbatimIn(stage: StageName): ReadonlyMap<string, string> {
    return this.verbatimFiles.get(stage) ?? new Map();
  }

  /** The chart of a stage, created on first use. */
  stage(name: StageName): Chart {
    let chart = this.stageCharts.get(name);
    if (!chart) {
      chart = new Chart(this.app, `${this.cluster.name}--${name}`, { disableResourceNameHashes: true });
      this.stageCharts.set(name, chart);
    }
    return chart;
  }

  /**
   * Installs a Helm chart in a stage, the way the fleet's GitOps engine does it, with fleet.yaml's
   * overrides for this release merged in; returns the values the release gets.
   */
  helmChart(stage: StageName, asked: HelmInstall): Record<string, unknown> {
    // spec.registries: the chart from the mirror repository, its images through the mirror prefix
    // (values meshfleet then derives, so an override may not change them).
    const { images, charts } = this.cluster.registries;
    const props: HelmInstall = {
      ...asked,
      ...(charts ? { repository: { ...asked.repository, url: charts } } : {}),
      ...(images ? { values: mergeValues(imageValues(asked.chart, asked.version, images), asked.values ?? {}) as Record<string, unknown> } : {}),
    };
    // spec.clusters[].kubernetesVersion: a chart Helm would refuse there is refused here, at the field.
    const tooOld = this.cluster.kubernetesVersion !== undefined ? kubeVersionProblem(props.chart, props.version, this.cluster.kubernetesVersion) : undefined;
    if (tooOld) {
      this.problems.push({ path: `spec.clusters[${this.cluster.index}].kubernetesVersion`, rule: tooOld, fix: `upgrade ${this.cluster.name} first, or pin a ${props.chart} release that supports Kubernetes ${this.cluster.kubernetesVersion}` });
    }
    const generated = props.values ?? {};
    let values: Record<string, unknown> = generated;
    for (const [where, overrides] of [['spec', this.fleet.overrides], ['spec.clusters[' + this.cluster.index + ']', this.cluster.overrides]] as const) {
      const override = overrides[props.name];
      if (override === undefined) continue;
      this.usedOverrides.add(`${where}.overrides.${props.name}`);
      for (const path of changedPaths(generated, override)) {
        this.problems.push({
          path: `${where}.overrides.${props.name}.${path}`,
          rule: `meshfleet derives ${props.name}'s value ${path} from fleet.yaml for the mesh to work; an override may add values, not change this one`,
          fix: 'remove the override and change the fleet.yaml field it comes from (README: fleet.yaml reference), or override a value meshfleet does not set',
        });
      }
      // An env entry, label or annotation the chart derives from a value meshfleet sets: the chart
      // would render the override's as a second entry, and the last one wins.
      for (const { path, from } of derivedOverridePaths(props.chart, generated, override)) {
        this.problems.push({
          path: `${where}.overrides.${props.name}.${path}`,
          rule: `chart ${props.chart} sets ${path} itself, from ${from}, which meshfleet derives from fleet.yaml; an override would render a second entry beside the chart's (for env, the last one wins)`,
          fix: 'remove the override and change the fleet.yaml field it comes from (README: fleet.yaml reference)',
        });
      }
      // Helm ignores a key the chart does not declare: a misspelt override would do nothing, silently.
      for (const path of undeclaredOverrideKeys(props.chart, props.version, override) ?? []) {
        this.problems.push({
          path: `${where}.overrides.${props.name}.${path}`,
          rule: `chart ${props.chart} ${props.version} declares no value ${path}, so Helm would ignore it`,
          fix: `check the spelling against the chart's values.yaml (\`helm show values\` for ${props.chart} ${props.version}); \`npm run helm-template -- ${this.cluster.name} ${props.name}\` shows what the chart makes of the values`,
        });
      }
      values = mergeValues(values, override) as Record<string, unknown>;
    }
    const effective = { ...props, values };
    const where = [`spec.overrides.${props.name}`, `spec.clusters[${this.cluster.index}].overrides.${props.name}`].filter((w) => this.usedOverrides.has(w));
    if (where.length > 0) this.overridden.push({ install: effective, where });
    this.engine.helmChart(this.stage(stage), effective);
    this.helmInstalls.set(stage, [...(this.helmInstalls.get(stage) ?? []), effective]);
    return values;
  }

  /** The Helm charts asked of a stage, in the order asked. */
  chartsIn(stage: StageName): readonly HelmInstall[] {
    return this.helmInstalls.get(stage) ?? [];
  }

  /** A chart rendered to its own file, outside the stages. */
  file(path: string): Chart {
    const chart = new Chart(this.app, `${this.cluster.name}--file--${path}`, { disableResourceNameHashes: true });
    this.extraFiles.set(path, chart);
    return chart;
  }

  /** A plain text file of its own under dist/ (not a Kubernetes object; never applied by the engine). */
  text(path: string, content: string): void {
    this.textFiles.set(path, content);
  }

  /** The stages that received content (objects, verbatim files or Helm charts), in apply order. */
  stages(): { name: StageName; chart: Chart }[] {
    return STAGES.flatMap((s) => {
      const hasObjects = (this.stageCharts.get(s.name)?.node.children.length ?? 0) > 0;
      return hasObjects || this.verbatimIn(s.name).size > 0 || this.chartsIn(s.name).length > 0 ? [{ name: s.name, chart: this.stage(s.name) }] : [];
    });
  }
}

/**
 * Runs every step, in order, for every cluster. Each cluster gets its own cdk8s App: cdk8s
 * resolves dependencies over the whole App every time a chart is synthesized, so one App for the
 * fleet made rendering quadratic in the number of clusters.
 */
export function planClusters(fleet: Fleet, engine: GitOpsEngine, steps: readonly PlanStep[], pki?: unknown, gatewayName?: string, meshNeeds: { readonly gatewayApi?: string } = {}): FleetPlan {
  const clusters = fleet.clusters.map((cluster) => {
    const plan = new StagePlan(new App({ outdir: '.cdk8s.unused' }), fleet, cluster, engine, pki, gatewayName, meshNeeds);
    for (const step of steps) step(plan);
    return plan;
  });
  return { clusters };
}
