/**
 * Fleet → one cdk8s App holding, per cluster, a Chart per stage (plus the istioctl file). Feature
 * modules add constructs to the stage they belong in; a stage nobody adds to is not emitted.
 */
import { App, Chart } from 'cdk8s';
import type { Cluster, Fleet } from './fleet/types';
import { STAGES, type StageName } from './gitops/stages';
import { addCiliumSettings } from './cilium/istio-settings';
import { addIstio } from './istio/control-plane';
import { addIstioctlFile } from './istio/istioctl';
import { addMetalLB } from './metallb/metallb';
import { addMetricsServer } from './metrics-server/metrics-server';
import { addSamples } from './samples/bookinfo';

export class ClusterPlan {
  private readonly stageCharts = new Map<StageName, Chart>();
  /** Charts written to a file of their own under dist/, keyed by dist-relative path. */
  readonly extraFiles = new Map<string, Chart>();

  constructor(
    readonly app: App,
    readonly fleet: Fleet,
    readonly cluster: Cluster,
  ) {}

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
      const chart = this.stageCharts.get(s.name);
      return chart && chart.node.children.length > 0 ? [{ name: s.name, chart }] : [];
    });
  }
}

/** Every feature, in the order they add to a cluster. */
const FEATURES: ((plan: ClusterPlan) => void)[] = [addCiliumSettings, addMetalLB, addMetricsServer, addIstio, addIstioctlFile, addSamples];

export function planFleet(fleet: Fleet): { app: App; clusters: ClusterPlan[] } {
  const app = new App({ outdir: '.cdk8s.unused' });
  const clusters = fleet.clusters.map((cluster) => {
    const plan = new ClusterPlan(app, fleet, cluster);
    for (const feature of FEATURES) feature(plan);
    return plan;
  });
  return { app, clusters };
}
