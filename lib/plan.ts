/**
 * Fleet → one cdk8s App holding, per cluster, a Chart per stage (plus the istioctl file). Feature
 * modules add constructs to the stage they belong in; a stage nobody adds to is not emitted.
 */
import { App, Chart } from 'cdk8s';
import type { Cluster, Fleet } from './fleet/types';
import type { PkiState } from './pki/store';
import { STAGES, type StageName } from './gitops/stages';
import { addCiliumSettings } from './cilium/istio-settings';
import { addCacerts } from './istio/cacerts';
import { addIstio } from './istio/control-plane';
import { addIstioctlFile } from './istio/istioctl';
import { addRemoteSecrets } from './istio/remote-secrets';
import { addMetalLB } from './metallb/metallb';
import { addMetricsServer } from './metrics-server/metrics-server';
import { addSamples } from './samples/bookinfo';

export class ClusterPlan {
  private readonly stageCharts = new Map<StageName, Chart>();
  private readonly verbatimFiles = new Map<StageName, Map<string, string>>();
  /** Charts written to a file of their own under dist/, keyed by dist-relative path. */
  readonly extraFiles = new Map<string, Chart>();

  constructor(
    readonly app: App,
    readonly fleet: Fleet,
    readonly cluster: Cluster,
    /** The CA store; undefined renders without the secrets that come from it. */
    readonly pki?: PkiState,
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

  /** A chart rendered to its own file, outside the Flux stages. */
  file(path: string): Chart {
    const chart = new Chart(this.app, `${this.cluster.name}--file--${path}`, { disableResourceNameHashes: true });
    this.extraFiles.set(path, chart);
    return chart;
  }

  /** The stages that received content, in apply order. */
  stages(): { name: StageName; chart: Chart }[] {
    return STAGES.flatMap((s) => {
      const hasObjects = (this.stageCharts.get(s.name)?.node.children.length ?? 0) > 0;
      return hasObjects || this.verbatimIn(s.name).size > 0 ? [{ name: s.name, chart: this.stage(s.name) }] : [];
    });
  }
}

/** Every feature, in the order they add to a cluster. */
const FEATURES: ((plan: ClusterPlan) => void)[] = [
  addCiliumSettings, addMetalLB, addMetricsServer, addIstio, addCacerts, addRemoteSecrets, addIstioctlFile, addSamples,
];

export function planFleet(fleet: Fleet, pki?: PkiState): { app: App; clusters: ClusterPlan[] } {
  const app = new App({ outdir: '.cdk8s.unused' });
  const clusters = fleet.clusters.map((cluster) => {
    const plan = new ClusterPlan(app, fleet, cluster, pki);
    for (const feature of FEATURES) feature(plan);
    return plan;
  });
  return { app, clusters };
}
