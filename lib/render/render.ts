/**
 * plan → files: synthesizes every chart, validates each object against its schema, and lays the
 * output tree out in memory (dist-relative path → bytes). Nothing here touches the disk.
 *
 *   clusters/<cluster>/<stage>.yaml          Flux Kustomization per stage
 *   manifests/<cluster>/<stage>/*.yaml       one object per file + kustomization.yaml
 *   istioctl/<cluster>.yaml                  IstioOperator (not applied by Flux)
 *   README.md                                topology and bootstrap steps
 */
import { App, Chart } from 'cdk8s';
import type { Fleet } from '../fleet/types';
import { StageKustomization } from '../gitops/flux';
import { effectiveDependencies, type StageName } from '../gitops/stages';
import type { PkiState } from '../pki/store';
import { planFleet, type ClusterPlan } from '../plan';
import { parse } from 'yaml';
import { renderReadme } from './readme';
import { GENERATED_HEADER, toYaml } from './yaml';
import { SchemaValidator, type KubeObject } from './validate';

export interface RenderOptions {
  /** Where dist/ sits in the git repository Flux syncs, POSIX, e.g. "dist". */
  readonly repoPath: string;
  /** The CA store (pki/); without it, cacerts and remote secrets are left out. */
  readonly pki?: PkiState;
}

export interface Rendered {
  /** dist-relative POSIX path → file content. */
  readonly files: Map<string, string>;
  /** Every object per cluster, in file order (for `cdk8s synth` and tests). */
  readonly objects: Map<string, KubeObject[]>;
}

/** An emitted object failed its schema: a bug in meshfleet or in values passed through from fleet.yaml. */
export class SchemaError extends Error {
  constructor(readonly failures: readonly string[]) {
    super(`generated objects failed schema validation:\n${failures.map((f) => `  ${f}`).join('\n')}`);
    this.name = 'SchemaError';
  }
}

const HELM_STAGE_TIMEOUT = '15m';
const STAGE_TIMEOUT = '5m';

export function renderFleet(fleet: Fleet, options: RenderOptions, validator = new SchemaValidator()): Rendered {
  const { app, clusters } = planFleet(fleet, options.pki);
  const files = new Map<string, string>();
  const objects = new Map<string, KubeObject[]>();
  const failures: string[] = [];

  const check = (path: string, obj: KubeObject): void => {
    for (const problem of validator.validate(withoutSops(obj))) failures.push(`${path}: ${obj.kind} ${ref(obj)} ${problem}`);
  };
  const emit = (path: string, objs: KubeObject[]): void => {
    for (const obj of objs) check(path, obj);
    files.set(path, GENERATED_HEADER + objs.map(toYaml).join('---\n'));
  };

  for (const plan of clusters) {
    const name = plan.cluster.name;
    const stages = plan.stages();
    const stageObjects = new Map<StageName, KubeObject[]>();
    for (const { name: stage, chart } of stages) {
      const dir = `manifests/${name}/${stage}`;
      const entries = fileNames(chart.toJson() as KubeObject[]);
      for (const [file, obj] of entries) emit(`${dir}/${file}`, [obj]);
      for (const [file, content] of plan.verbatimIn(stage)) {
        const obj = parse(content) as KubeObject;
        check(`${dir}/${file}`, obj);
        files.set(`${dir}/${file}`, content);
        entries.push([file, obj]);
      }
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      files.set(`${dir}/kustomization.yaml`, GENERATED_HEADER + toYaml({
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: entries.map(([file]) => file),
      }));
      stageObjects.set(stage, entries.map(([, obj]) => obj));
    }
    for (const [path, obj] of fluxStages(app, plan, stageObjects, fleet, options)) emit(path, [obj]);
    for (const [path, chart] of plan.extraFiles) emit(path, chart.toJson() as KubeObject[]);
    objects.set(name, [...stageObjects.values()].flat());
  }
  if (failures.length > 0) throw new SchemaError(failures);
  files.set('README.md', renderReadme(fleet, clusters, options));
  return { files, objects };
}

/** The Flux Kustomization of every stage that has content, chained with dependsOn. */
function fluxStages(
  root: App,
  plan: ClusterPlan,
  stages: ReadonlyMap<StageName, KubeObject[]>,
  fleet: Fleet,
  options: RenderOptions,
): [string, KubeObject][] {
  const cluster = plan.cluster.name;
  const chart = new Chart(root, `${cluster}--flux`, { disableResourceNameHashes: true });
  const present = new Set(stages.keys());
  for (const [name, objs] of stages) {
    new StageKustomization(chart, name, {
      stage: name,
      path: `./${options.repoPath ? `${options.repoPath}/` : ''}manifests/${cluster}/${name}`,
      dependsOn: effectiveDependencies(name, present),
      interval: fleet.gitops.interval,
      timeout: objs.some((o) => o.kind === 'HelmRelease') ? HELM_STAGE_TIMEOUT : STAGE_TIMEOUT,
      decrypt: objs.some((o) => o.sops !== undefined),
    });
  }
  return (chart.toJson() as KubeObject[]).map((obj) => [`clusters/${cluster}/${obj.metadata!.name}.yaml`, obj]);
}

/** `<kind>-<name>.yaml` per object, with the namespace added where two would collide; sorted. */
function fileNames(objs: KubeObject[]): [string, KubeObject][] {
  const base = (o: KubeObject): string => `${o.kind.toLowerCase()}-${o.metadata?.name ?? 'unnamed'}`;
  const counts = new Map<string, number>();
  for (const o of objs) counts.set(base(o), (counts.get(base(o)) ?? 0) + 1);
  const named = objs.map((o): [string, KubeObject] => {
    const b = base(o);
    const file = counts.get(b)! > 1 ? `${o.kind.toLowerCase()}-${o.metadata?.namespace ?? 'cluster'}-${o.metadata?.name}` : b;
    return [`${file}.yaml`, o];
  });
  return named.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** SOPS metadata is not part of the object Flux applies. */
function withoutSops(obj: KubeObject): KubeObject {
  const { sops: _sops, ...rest } = obj;
  return rest as KubeObject;
}

function ref(obj: KubeObject): string {
  return `${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name ?? ''}`;
}
