/**
 * The Helm test harness: every HelmRelease of a fleet, rendered in memory, paired with the vendored
 * chart it pins (../shared/upstream/helm-charts/<chart>-<version>/) and the stage it is applied in;
 * and `helm template` runs, a few at a time, cached per (chart, release, values) within a run.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readChart, type ChartInfo } from '../../lib/helm/chart';
import type { ReleaseRef } from '../../lib/contracts/engine';
import { engineOf } from '../../lib/gitops/registry';
import { templateRelease, type HelmResult } from '../../lib/helm/template';
import type { KubeObject } from '../../lib/kube';
import { loadFleet } from '../../lib/pipeline';
import { SUPPORTED_ISTIO_VERSIONS } from '../../lib/mesh/istio/releases';
import { SUPPORTED_LINKERD_VERSIONS } from '../../lib/mesh/linkerd/defaults';
import { SUPPORTED_CILIUM_VERSIONS } from '../../lib/mesh/cilium/releases';
import { pinnedCharts } from '../../lib/pipeline';
import { editFleet, HELM, renderObjects, ROOT, SHARED } from '../helpers';

export const CHARTS = join(SHARED, 'upstream', 'helm-charts');

/** The default fleet and every examples/*.yaml (picked up automatically when the folder exists). */
export function fleetFiles(): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  const examples = join(ROOT, 'examples');
  if (existsSync(examples)) {
    for (const f of readdirSync(examples).filter((n) => n.endsWith('.yaml')).sort()) {
      out.push({ file: `examples/${f}`, text: readFileSync(join(examples, f), 'utf8') });
    }
  }
  return out;
}

/**
 * A copy of an example at every supported release of each mesh and add-on chart it does not
 * already run (issue 24 item 7): the Helm tests render these as they render the examples.
 */
export function versionFleets(): { file: string; name: string; text: string }[] {
  const examples = join(ROOT, 'examples');
  if (!existsSync(examples)) return [];
  const out: { file: string; name: string; text: string }[] = [];
  const at = (example: string, path: (string | number)[], versions: readonly string[], label: string): void => {
    const file = `examples/${example}.yaml`;
    const text = readFileSync(join(ROOT, file), 'utf8');
    const current = (loadFleetPath(text, file, path));
    for (const v of versions.filter((x) => x !== current)) {
      out.push({ file, name: `${file} at ${label} ${v}`, text: editFleet((d) => d.setIn(path, v), text) });
    }
  };
  at('kpaas-csp', ['spec', 'mesh', 'istio', 'version'], SUPPORTED_ISTIO_VERSIONS, 'Istio');
  at('istio-primary-remote', ['spec', 'mesh', 'istio', 'version'], SUPPORTED_ISTIO_VERSIONS, 'Istio');
  at('linkerd-kpaas', ['spec', 'mesh', 'linkerd', 'version'], SUPPORTED_LINKERD_VERSIONS, 'Linkerd');
  at('cilium-clustermesh', ['spec', 'mesh', 'cilium', 'version'], SUPPORTED_CILIUM_VERSIONS, 'Cilium');
  at('kpaas-csp', ['spec', 'clusters', 0, 'metallb', 'version'], pinnedCharts().filter((p) => p.chart === 'metallb').map((p) => p.version), 'MetalLB');
  at('kpaas-csp', ['spec', 'clusters', 0, 'metricsServer', 'version'], pinnedCharts().filter((p) => p.chart === 'metrics-server').map((p) => p.version), 'metrics-server');
  return out;
}

/** The value at `path` of the fleet as resolved (defaults filled in), for skipping the version an example already runs. */
function loadFleetPath(text: string, file: string, path: (string | number)[]): string | undefined {
  const fleet = loadFleet(text, file);
  if (path[1] === 'mesh') return (fleet.mesh.settings as { version?: string }).version;
  const cluster = fleet.clusters[path[2] as number];
  const addon = cluster?.addons[path[3] as string] as { version?: string } | undefined;
  return addon?.version;
}

export interface ReleaseCase {
  readonly fleet: string;
  readonly cluster: string;
  readonly stage: string;
  /** Position of the stage in the cluster's Flux dependsOn chain (0 = applied first). */
  readonly stageIndex: number;
  readonly object: KubeObject;
  readonly ref: ReleaseRef;
  /** The vendored chart folder named <chart>-<version>, if there is one. */
  readonly chartDir?: string;
  /** The cluster's spec.clusters[].kubernetesVersion, for `helm template --kube-version`; undefined: not said. */
  readonly kubeVersion?: string;
}

export interface StageObjects {
  readonly stage: string;
  /** Position of the stage in the cluster's Flux dependsOn chain (0 = applied first). */
  readonly stageIndex: number;
  readonly objects: KubeObject[];
}

/** What each cluster's stages apply (manifests/<cluster>/<stage>/), in apply order. */
export function clusterStages(files: Map<string, Record<string, any>[]>): Map<string, StageObjects[]> {
  const byCluster = new Map<string, Map<string, KubeObject[]>>();
  for (const [path, objs] of files) {
    const m = /^manifests\/([^/]+)\/([^/]+)\/[^/]+\.yaml$/.exec(path);
    if (!m || path.endsWith('/kustomization.yaml')) continue;
    const stages = byCluster.get(m[1]!) ?? new Map<string, KubeObject[]>();
    stages.set(m[2]!, [...(stages.get(m[2]!) ?? []), ...(objs as KubeObject[])]);
    byCluster.set(m[1]!, stages);
  }
  const out = new Map<string, StageObjects[]>();
  for (const [cluster, stages] of byCluster) {
    const order = stageOrder(files, cluster);
    out.set(cluster, [...stages].map(([stage, objects]) => ({ stage, stageIndex: order.indexOf(stage), objects }))
      .sort((a, b) => a.stageIndex - b.stageIndex));
  }
  return out;
}

const renderedFleets = new Map<string, Map<string, Record<string, any>[]>>();
/** The committed CA store of an example (examples/pki/<name>/), so what comes from it renders too. */
export function examplePkiDir(file: string): string | undefined {
  const m = /^examples\/([^/]+)\.yaml$/.exec(file);
  return m ? join(ROOT, 'examples', 'pki', m[1]!) : undefined;
}
/** test/helpers.ts renderObjects (with the example's CA store, if any), once per fleet within a test file. */
export function renderedFleet(text: string, file?: string): Map<string, Record<string, any>[]> {
  const key = `${file ?? ''}\n${text}`;
  let r = renderedFleets.get(key);
  if (!r) renderedFleets.set(key, (r = renderObjects(text, file ? examplePkiDir(file) : undefined)));
  return r;
}

/**
 * Every Helm release of every cluster of a fleet — Flux HelmReleases in the stages, Argo CD
 * Applications with a Helm source among the delivery objects — with its stage and vendored chart folder.
 */
export function releaseCases(fleet: string, text: string): ReleaseCase[] {
  const out: ReleaseCase[] = [];
  const files = renderedFleet(text, fleet);
  const kube = new Map(loadFleet(text, fleet).clusters.map((c) => [c.name, c.kubernetesVersion]));
  const kubeOf = (cluster: string): { kubeVersion?: string } => { const v = kube.get(cluster); return v ? { kubeVersion: v } : {}; };
  for (const [path, objs] of files) {
    const m = /^clusters\/([^/]+)\/[^/]+\.yaml$/.exec(path);
    if (!m) continue;
    const order = stageOrder(files, m[1]!);
    for (const object of objs as KubeObject[]) {
      const ref = engineOf('argocd').releaseOf(object, objs as KubeObject[]);
      if (!ref) continue;
      const stage = object.metadata!.labels!['meshfleet.io/stage']!;
      const dir = join(CHARTS, `${ref.chart}-${ref.version}`);
      out.push({ fleet, cluster: m[1]!, stage, stageIndex: order.indexOf(stage), object, ref, ...kubeOf(m[1]!), ...(existsSync(join(dir, 'Chart.yaml')) ? { chartDir: dir } : {}) });
    }
  }
  for (const [cluster, stages] of clusterStages(files)) {
    const all = stages.flatMap((s) => s.objects);
    for (const { stage, stageIndex, objects } of stages) {
      for (const object of objects) {
        const ref = engineOf('flux').releaseOf(object, all);
        if (!ref) continue;
        const dir = join(CHARTS, `${ref.chart}-${ref.version}`);
        out.push({ fleet, cluster, stage, stageIndex, object, ref, ...kubeOf(cluster), ...(existsSync(join(dir, 'Chart.yaml')) ? { chartDir: dir } : {}) });
      }
    }
  }
  return out.sort((a, b) => a.cluster.localeCompare(b.cluster) || a.stageIndex - b.stageIndex || a.ref.name.localeCompare(b.ref.name));
}

/**
 * A cluster's stages in apply order: from the Flux Kustomizations' dependsOn (what Flux follows),
 * or from the Argo CD Applications' sync waves (what Argo CD follows).
 */
export function stageOrder(files: Map<string, Record<string, any>[]>, cluster: string): string[] {
  const deps = new Map<string, string[]>();
  const waves = new Map<string, number>();
  for (const [path, objs] of files) {
    const m = new RegExp(`^clusters/${cluster}/([^/]+)\\.yaml$`).exec(path);
    if (!m) continue;
    const k = objs[0]!;
    if (k.kind === 'Application') {
      const stage = k.metadata.labels['meshfleet.io/stage'] as string;
      const wave = Number(k.metadata.annotations['argocd.argoproj.io/sync-wave']);
      waves.set(stage, Math.min(wave, waves.get(stage) ?? wave));
      continue;
    }
    // Flux Kustomizations are named meshfleet-<stage>.
    const stage = (name: string): string => name.replace(/^meshfleet-/, '');
    deps.set(stage(k.metadata.name as string), ((k.spec.dependsOn ?? []) as { name: string }[]).map((d) => stage(d.name)));
  }
  const order: string[] = [];
  const visit = (s: string): void => {
    if (order.includes(s)) return;
    for (const d of deps.get(s) ?? []) visit(d);
    order.push(s);
  };
  for (const s of [...deps.keys()].sort()) visit(s);
  return [...order, ...[...waves].sort(([, a], [, b]) => a - b).map(([s]) => s)];
}

const charts = new Map<string, ChartInfo>();
export function chartInfo(dir: string): ChartInfo {
  let c = charts.get(dir);
  if (!c) charts.set(dir, (c = readChart(dir)));
  return c;
}

/** At most this many helm processes at once. */
const CONCURRENCY = 4;
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

const renders = new Map<string, Promise<HelmResult>>();

/**
 * `helm template <release> <chart dir> --namespace <ns> --kube-version <cluster's, else 1.32.0> --include-crds -f <values>`,
 * cached per (chart dir, release, namespace, values, Kubernetes) for the whole run. CRDs are included because
 * Flux's helm-controller installs a chart's crds/ too.
 */
export function helmTemplate(ref: ReleaseRef, chartDir: string, kubeVersion?: string): Promise<HelmResult> {
  if (!HELM) throw new Error('helm not found');
  const kube = kubeVersion === undefined ? undefined : kubeVersion.split('.').length === 2 ? `${kubeVersion}.0` : kubeVersion;
  const key = createHash('sha256').update(JSON.stringify([chartDir, ref.releaseName, ref.namespace, ref.values, kube])).digest('hex');
  let p = renders.get(key);
  if (!p) {
    const chartsDir = join(chartDir, '..');
    p = limited(() => templateRelease(HELM!, ref, { chartsDir, includeCrds: true, ...(kube ? { kubeVersion: kube } : {}) }));
    renders.set(key, p);
  }
  return p;
}

/** Parses helm's output; throws on a document that is not valid YAML. */
export function parseManifests(text: string): KubeObject[] {
  const out: KubeObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`helm output does not parse: ${doc.errors[0]!.message}`);
    const obj = doc.toJS() as KubeObject | null;
    if (obj !== null) out.push(obj);
  }
  return out;
}

/** "group/version/Kind" for every served version of every CRD among `objs`. */
export function crdKinds(objs: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objs) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec as { group: string; names: { kind: string }; versions: { name: string; served: boolean }[] };
    for (const v of spec.versions) if (v.served) out.push(`${spec.group}/${v.name}/${spec.names.kind}`);
  }
  return out;
}

/** "apiVersion/kind" as in imports/schemas/k8s.json `kinds`. */
export function kindKey(obj: KubeObject): string {
  return `${obj.apiVersion}/${obj.kind}`;
}

export const K8S_KINDS: ReadonlySet<string> = new Set(Object.keys(
  (JSON.parse(readFileSync(join(ROOT, 'imports', 'schemas', 'k8s.json'), 'utf8')) as { kinds: Record<string, string> }).kinds,
));
