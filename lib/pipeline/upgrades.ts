/**
 * In-place upgrades one supported step at a time: every Helm release of the committed output (what
 * the clusters run) against the same release in the new rendering; a version change the owning
 * mesh does not support in place (MeshModule.upgradeStep) is refused at synth, naming the releases
 * in between, or said as a caution.
 */
import { parseAllDocuments } from 'yaml';
import type { UpgradeStep } from '../contracts/support';
import type { Tree } from '../contracts/tree';
import type { Problem } from '../errors';
import { ENGINES } from '../gitops/registry';
import type { KubeObject } from '../kube';
import type { Modules } from './load';
import type { Fleet } from '../fleet/types';
import type { ReleaseRef } from '../contracts/engine';

/** The cluster an output path delivers to (manifests/<cluster>/…, clusters/<cluster>/…); undefined for the others. */
export const clusterOf = (path: string): string | undefined => /^(?:manifests|clusters)\/([^/]+)\//.exec(path)?.[1];

/** The Helm releases among one cluster's objects, as every engine reads its own delivery objects. */
export function releasesAmong(objs: readonly KubeObject[]): ReleaseRef[] {
  const out: ReleaseRef[] = [];
  for (const obj of objs) {
    for (const engine of Object.values(ENGINES)) {
      try {
        const ref = engine.releaseOf(obj, objs);
        if (ref) out.push(ref);
      } catch {
        // a hand-edited object without a version: synth replaces it
      }
    }
  }
  return out;
}

/** The paths whose bytes differ between two trees (either side's alone included). */
const changedPaths = (a: Tree, b: Tree): Set<string> => new Set([...a.keys(), ...b.keys()].filter((p) => a.get(p) !== b.get(p)));

/** cluster/release → the release (chart, version, values), for every Helm release a tree installs (of `only` paths, when given). */
function releasesIn(tree: Tree, only?: ReadonlySet<string>): Map<string, ReleaseRef> {
  const out = new Map<string, ReleaseRef>();
  for (const [path, text] of tree) {
    if (only && !only.has(path)) continue;
    const cluster = clusterOf(path);
    if (!cluster || !path.endsWith('.yaml') || !(text.includes('kind: HelmRelease') || text.includes('kind: Application'))) continue;
    const objs = parseAllDocuments(text).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null && typeof o === 'object');
    for (const ref of releasesAmong(objs)) out.set(`${cluster}/${ref.name}`, ref);
  }
  return out;
}

export interface UpgradeFindings {
  readonly problems: Problem[];
  readonly warnings: string[];
}

/** What moving from `committed` to `next` asks of the clusters that upstream does not support in one step. */
export function upgradeFindings(committed: Tree, next: Tree, modules: Modules, fleet: Fleet): UpgradeFindings {
  // A release whose file is byte-identical on both sides has not moved: only the files that differ
  // are parsed (an unchanged synth of 100 clusters parses none).
  const changed = changedPaths(committed, next);
  const before = releasesIn(committed, changed);
  if (before.size === 0) return { problems: [], warnings: [] };
  const seen = new Map<string, UpgradeStep & { readonly to: string }>();
  // One finding per field and rule, however many clusters it holds for.
  const note = (step: UpgradeStep | undefined, to: string): void => {
    if (step && !seen.has(`${step.field}\n${step.rule}`)) seen.set(`${step.field}\n${step.rule}`, { ...step, to });
  };
  const after = releasesIn(next, changed);
  // A release that goes while others come on the same cluster (Istio: the in-place istiod replaced by a revision).
  if (modules.mesh.replacedStep) {
    for (const [key, gone] of before) {
      if (after.has(key)) continue;
      const cluster = key.slice(0, key.indexOf('/'));
      const added = [...after].filter(([k]) => k.startsWith(`${cluster}/`) && !before.has(k)).map(([, r]) => r);
      note(modules.mesh.replacedStep(gone, added, fleet), gone.version);
    }
  }
  for (const [key, now] of after) {
    const was = before.get(key);
    if (!was || was.chart !== now.chart || was.version === now.version) continue;
    if (!modules.mesh.charts.some((c) => c.chart === now.chart)) continue;
    note(modules.mesh.upgradeStep?.(now.chart, was.version, now.version, fleet), now.version);
  }
  const steps = [...seen.values()];
  return {
    problems: steps.filter((s) => !s.warning).map((s) => ({ path: s.field, value: s.to, rule: s.rule, fix: s.fix })),
    warnings: steps.filter((s) => s.warning).map((s) => `${s.field}: ${s.rule}; ${s.fix}`),
  };
}

/**
 * What a change moves between control planes, per cluster, in the mesh's words (Istio: which
 * revision each tag points at, and the revisions added or removed), for `npm run diff`.
 */
export function controlPlaneMoves(old: Tree, next: Tree, modules: Modules): string[] {
  if (!modules.mesh.controlPlaneMoves) return [];
  // Only the clusters with a file that changed can have moved; all of their releases are read.
  const moved = new Set([...changedPaths(old, next)].map(clusterOf).filter((c): c is string => c !== undefined));
  const byCluster = (tree: Tree): Map<string, ReleaseRef[]> => {
    const out = new Map<string, ReleaseRef[]>();
    for (const [key, ref] of releasesIn(tree, new Set([...tree.keys()].filter((p) => moved.has(clusterOf(p) ?? ''))))) {
      const cluster = key.slice(0, key.indexOf('/'));
      out.set(cluster, [...(out.get(cluster) ?? []), ref]);
    }
    return out;
  };
  return modules.mesh.controlPlaneMoves(byCluster(old), byCluster(next));
}
