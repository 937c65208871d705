/**
 * plan → files: synthesizes every chart and lays the output tree out in memory (dist-relative
 * path → bytes), with the GitOps engine's delivery objects and dist/README.md. Nothing here
 * touches the disk, and nothing here knows a mesh, an engine or an add-on by name.
 *
 *   clusters/<cluster>/<stage>.yaml          the engine's object per stage (Flux Kustomization)
 *   manifests/<cluster>/<stage>/*.yaml       one object per file + kustomization.yaml
 *   <files the mesh adds>                    e.g. istioctl/<cluster>.yaml (not applied by the engine)
 *   README.md                                topology and bootstrap steps
 */
import { parse } from 'yaml';
import type { AddOn } from '../contracts/addon';
import type { Fleet } from '../fleet/types';
import type { StageName } from '../contracts/stages';
import type { GitOpsEngine, HelmInstall } from '../contracts/engine';
import type { KubeObject } from '../kube';
import type { MeshModule } from '../contracts/mesh';
import type { FleetPlan } from '../contracts/plan';
import { renderReadme } from './readme';
import { GENERATED_HEADER, toYaml } from '../format/yaml';
import { mirrorPodImages } from '../format/images';

export interface RenderInput {
  readonly fleet: Fleet;
  readonly plan: FleetPlan;
  readonly mesh: MeshModule;
  readonly engine: GitOpsEngine;
  readonly addons: readonly AddOn[];
  /** What the mesh's CA store holds (its own type), for the README; undefined without one. */
  readonly pki: unknown;
  /** Where dist/ sits in the git repository the engine syncs, POSIX, e.g. "dist". */
  readonly repoPath: string;
  /** Sections dist/README.md shows right after its summary while they apply (pending revocations); none by default. */
  readonly notices?: readonly string[];
}

export interface Rendered {
  /** dist-relative POSIX path → file content. */
  readonly files: Map<string, string>;
  /** Every object per cluster, in file order (for `cdk8s synth` and tests). */
  readonly objects: Map<string, KubeObject[]>;
  /** Every emitted object with the file it is in, for the validate step. */
  readonly emitted: readonly { readonly path: string; readonly object: KubeObject }[];
}

export function render(input: RenderInput): Rendered {
  const { fleet, plan, engine } = input;
  const files = new Map<string, string>();
  const objects = new Map<string, KubeObject[]>();
  const emitted: { path: string; object: KubeObject }[] = [];
  const emit = (path: string, objs: KubeObject[]): void => {
    for (const object of objs) emitted.push({ path, object });
    files.set(path, GENERATED_HEADER + objs.map(toYaml).join('---\n'));
  };

  for (const cluster of plan.clusters) {
    const name = cluster.cluster.name;
    const stageObjects = new Map<StageName, KubeObject[]>();
    const stageCharts = new Map<StageName, readonly HelmInstall[]>();
    for (const { name: stage, chart } of cluster.stages()) {
      const dir = `manifests/${name}/${stage}`;
      const built = chart.toJson() as KubeObject[];
      // spec.registries.images: the sample apps and meshfleet's own Jobs pull through the mirror too.
      for (const obj of built) mirrorPodImages(obj as unknown as Record<string, unknown>, cluster.cluster.registries.images);
      const entries = fileNames(built);
      for (const [file, obj] of entries) emit(`${dir}/${file}`, [obj]);
      for (const [file, content] of cluster.verbatimIn(stage)) {
        const obj = parse(content) as KubeObject;
        emitted.push({ path: `${dir}/${file}`, object: obj });
        files.set(`${dir}/${file}`, content);
        entries.push([file, obj]);
      }
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      stageObjects.set(stage, entries.map(([, obj]) => obj));
      if (cluster.chartsIn(stage).length > 0) stageCharts.set(stage, cluster.chartsIn(stage));
      // A stage whose only content is Helm charts the engine installs from outside has no folder.
      if (entries.length === 0) continue;
      const custom = engine.stageKustomization?.(entries);
      for (const [file, obj] of custom?.files ?? []) files.set(`${dir}/${file}`, GENERATED_HEADER + toYaml(obj));
      files.set(`${dir}/kustomization.yaml`, GENERATED_HEADER + toYaml(custom?.kustomization ?? {
        apiVersion: 'kustomize.config.k8s.io/v1beta1',
        kind: 'Kustomization',
        resources: entries.map(([file]) => file),
      }));
    }
    const delivery = engine.deliver(cluster.app, {
      fleet, cluster: cluster.cluster, stages: stageObjects, charts: stageCharts, repoPath: input.repoPath,
    });
    for (const [path, obj] of delivery) emit(path, [obj]);
    for (const [path, chart] of cluster.extraFiles) emit(path, chart.toJson() as KubeObject[]);
    for (const [path, content] of cluster.textFiles) files.set(path, content);
    objects.set(name, [...stageObjects.values()].flat());
  }
  files.set('README.md', renderReadme({
    fleet, plans: plan.clusters, mesh: input.mesh, engine, addons: input.addons, pki: input.pki, repoPath: input.repoPath, ...(input.notices ? { notices: input.notices } : {}),
  }));
  return { files, objects, emitted };
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
