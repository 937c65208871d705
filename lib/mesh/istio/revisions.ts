/**
 * Canary upgrades by revision (issue 25): `spec.mesh.istio.revisions` installs up to two istiod
 * control planes side by side on every primary, one Helm release each (`istiod-<revision>`, the
 * istiod chart's `revision`), and revision tags (`spec.mesh.istio.tags`, per cluster
 * `spec.clusters[].istio.tags`) say which one each tag's namespaces use. `version` alone keeps
 * meaning one control plane upgraded in place.
 *
 * Each tag's webhook is rendered by the istiod release of the revision it points at (the chart's
 * `revisionTags`), so exactly one release owns it; the newer release depends on the older one, so
 * when a tag moves forward the older release drops it before the newer one takes it. The `default`
 * tag follows `stable` (namespaces labelled istio-injection=enabled, the users' own among them),
 * and base validates with the stable revision (`defaultRevision`).
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import type { Construct } from 'constructs';
import type { AddProblem } from '../../fleet/parse';
import { compareVersions, minorOf } from '../../format/semver';
import type { Cluster, Fleet, RawCluster, RawFleet } from '../../fleet/types';
import { isRemote, istioClusterOf, istioOf, primaryOf, rawIstioOf } from './defaults';
import { ISTIO_RELEASES, SUPPORTED_ISTIO_VERSIONS } from './releases';
import type { UpgradeStep } from '../../contracts/support';
import type { ReleaseRef } from '../../contracts/engine';

/** The tag every revisioned fleet names: what workloads run unless they ask for another. */
export const STABLE_TAG = 'stable';
/** Istio's reserved tag (istio-injection=enabled namespaces); meshfleet points it where `stable` points. */
export const DEFAULT_TAG = 'default';
/** The pod-template annotation on meshfleet's samples and gateway: changes when their tag's revision does, so they restart onto it. */
export const REVISION_ANNOTATION = 'meshfleet.io/istio-revision';

/** "1.30.3" → "1-30-3": Istio's revision names are DNS labels. */
export const revisionName = (version: string): string => version.replace(/\./g, '-');
/** How many minors `b` is ahead of `a` (negative when behind). */
export const minorGap = (a: string, b: string): number => minorOf(b)[1] - minorOf(a)[1];
/** The Helm release of a revision: `istiod-<revision>`, or `istiod` for the control plane installed in place before the canary. */
export const istiodReleaseName = (version: string, unrevisioned?: string): string => (version === unrevisioned ? 'istiod' : `istiod-${revisionName(version)}`);
/** The istiod chart's `revision` of a release ("" for the unrevisioned one: Istio's default revision). */
export const revisionValue = (version: string, unrevisioned?: string): string => (version === unrevisioned ? '' : revisionName(version));

/** Whether the fleet runs revisions (canary) instead of one in-place control plane. */
export const usesRevisions = (fleet: Fleet): boolean => istioOf(fleet).revisions !== undefined;

/** The cluster's tags: the fleet's, with the cluster's own moves over them; a remote's are its primary's. */
export function tagsOf(fleet: Fleet, cluster: Cluster): Record<string, string> {
  const own = isRemote(cluster) ? primaryOf(fleet, cluster) : cluster;
  return { ...istioOf(fleet).tags, ...istioClusterOf(own).tags };
}

/** The revision `stable` points at on the cluster. */
export const stableOf = (fleet: Fleet, cluster: Cluster): string => tagsOf(fleet, cluster)[STABLE_TAG] ?? istioOf(fleet).version;

/**
 * The tags of the cluster that point at `version`, sorted, with `default` beside `stable` — except
 * while an unrevisioned control plane runs: its own webhook serves istio-injection=enabled
 * namespaces until it is removed, and a second `default` would inject them twice.
 */
export function tagsOn(fleet: Fleet, cluster: Cluster, version: string): string[] {
  const tags = Object.entries(tagsOf(fleet, cluster)).filter(([, v]) => v === version).map(([t]) => t);
  if (tags.includes(STABLE_TAG) && istioOf(fleet).unrevisioned === undefined) tags.push(DEFAULT_TAG);
  return tags.sort();
}

export interface RawRevisions { revisions?: string[]; tags?: Record<string, string>; unrevisioned?: string }
export const rawClusterTags = (raw: RawCluster): Record<string, string> | undefined => (raw.istio as { tags?: Record<string, string> } | undefined)?.tags;


export function revisionRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  const rawIstio = rawIstioOf(raw) as (ReturnType<typeof rawIstioOf> & RawRevisions) | undefined;
  const at = (...rest: (string | number)[]): (string | number)[] => ['spec', 'mesh', 'istio', ...rest];
  raw.spec.clusters.forEach((c, i) => {
    if (rawClusterTags(c) !== undefined && rawIstio?.revisions === undefined) {
      add(['spec', 'clusters', i, 'istio', 'tags'], rawClusterTags(c), 'revision tags need revisions to point at', 'remove istio.tags, or install revisions (spec.mesh.istio.revisions)');
    }
  });
  const revisions = rawIstio?.revisions;
  if (revisions === undefined) {
    if (rawIstio?.tags !== undefined) add(at('tags'), rawIstio.tags, 'revision tags need revisions to point at', 'remove tags, or set spec.mesh.istio.revisions');
    if (rawIstio?.unrevisioned !== undefined) add(at('unrevisioned'), rawIstio.unrevisioned, 'names the in-place control plane of a canary, and there is none', 'remove unrevisioned');
    return;
  }
  if (rawIstio?.unrevisioned !== undefined && !revisions.includes(rawIstio.unrevisioned)) {
    add(at('unrevisioned'), rawIstio.unrevisioned, `is not one of spec.mesh.istio.revisions (${revisions.join(', ')})`,
      'remove unrevisioned together with the revision it names (the canary\'s last step)');
  }
  if (rawIstio?.version !== undefined) {
    add(at('version'), rawIstio.version, 'is one control plane upgraded in place; spec.mesh.istio.revisions installs control planes side by side, so the two cannot be combined',
      `remove version (the newest revision, ${[...revisions].sort(compareVersions).at(-1)}, installs base and is the fleet's release)`);
  }
  // A remote's injection and its istiod address follow its primary's revisions and tags.
  fleet.clusters.forEach((c, i) => {
    const own = rawClusterTags(raw.spec.clusters[i]!);
    if (isRemote(c) && own !== undefined) {
      add(['spec', 'clusters', i, 'istio', 'tags'], own, `a remote follows its primary's tags (${primaryOf(fleet, c).name}): its injection and its istiod address are the primary's istiod of that revision`,
        `remove istio.tags here, and move the tag on ${primaryOf(fleet, c).name}`);
    }
  });
  if (revisions.length > 2) {
    add(at('revisions'), revisions, `installs ${revisions.length} control planes; a canary runs at most two revisions side by side (the one in use and the one workloads move to)`,
      'keep two: remove the oldest once no tag points at it');
  }
  revisions.forEach((v, j) => {
    if (!(SUPPORTED_ISTIO_VERSIONS as readonly string[]).includes(v)) {
      add(at('revisions', j), v, `is not a release meshfleet has tested charts for; supported: ${SUPPORTED_ISTIO_VERSIONS.join(', ')}`, `use one of ${SUPPORTED_ISTIO_VERSIONS.map((x) => `"${x}"`).join(', ')}`);
    }
  });
  const sorted = [...revisions].sort(compareVersions);
  if (sorted.length === 2 && minorGap(sorted[0]!, sorted[1]!) > 2) {
    add(at('revisions'), revisions, `${sorted[0]} and ${sorted[1]} are ${minorGap(sorted[0]!, sorted[1]!)} minors apart; a canary may skip one minor at most (istio.io, "Canary upgrades")`,
      `canary to ${sorted[0]!.replace(/\.\d+\.\d+$/, '')}.${minorOf(sorted[0]!)[1] + 2} first, or upgrade in place one minor at a time`);
  }
  const tagRules = (tags: Record<string, string> | undefined, path: (string | number)[]): void => {
    for (const [tag, version] of Object.entries(tags ?? {})) {
      if (tag === DEFAULT_TAG) {
        add([...path, tag], version, 'is Istio\'s reserved tag (namespaces labelled istio-injection=enabled); meshfleet points it where stable points', 'remove it: move stable instead');
      } else if (!revisions.includes(version)) {
        add([...path, tag], version, `points at a revision that is not installed (spec.mesh.istio.revisions: ${revisions.join(', ')}); a revision cannot be removed while a tag points at it`,
          `point ${tag} at one of ${revisions.join(', ')} first, or keep ${version} in revisions`);
      }
    }
  };
  if (rawIstio?.tags?.[STABLE_TAG] === undefined) {
    add(at('tags'), rawIstio?.tags, `needs a ${STABLE_TAG} tag: the revision workloads run unless they ask for another`, `add ${STABLE_TAG}: "${sorted[0]}"`);
  }
  tagRules(rawIstio?.tags, at('tags'));
  raw.spec.clusters.forEach((c, i) => tagRules(rawClusterTags(c), ['spec', 'clusters', i, 'istio', 'tags']));
}

/** Adds `annotations` to the pod template of every Deployment below `scope` (the samples: a changed value restarts them). */
export function annotateSamplePods(scope: Construct, annotations: Record<string, string>): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject && child.kind === 'Deployment') child.addJsonPatch(JsonPatch.add('/spec/template/metadata/annotations', annotations));
  }
}

/** A canary step of base or the east-west gateway: at most two minors (a canary may skip one). */
export function canaryStep(from: string, to: string): UpgradeStep | undefined {
  const gap = Math.abs(minorGap(from, to));
  if (gap <= 2) return undefined;
  return {
    field: ISTIO_RELEASES.field.replace(/version$/, 'revisions'),
    rule: `a canary moves at most two minors at once (istio.io, "Canary upgrades": revision-based upgrades may jump two minor versions); the committed output runs ${from}, the new ${to}`,
    fix: 'canary to a release at most two minors ahead first, then on from there',
  };
}

/** tag → revision ("1-30-3", or "in place" for the unrevisioned istiod) and the istiod releases, of one cluster's releases. */
function controlPlanesOf(refs: readonly ReleaseRef[]): { tags: Map<string, string>; istiods: Map<string, string> } {
  const tags = new Map<string, string>();
  const istiods = new Map<string, string>();
  for (const ref of refs.filter((r) => r.chart === 'istiod' && (r.values as { profile?: string }).profile !== 'remote')) {
    const values = ref.values as { revision?: string; revisionTags?: string[] };
    const revision = values.revision || 'in place';
    istiods.set(ref.name, `${ref.version}${values.revision ? '' : ', in place'}`);
    for (const tag of values.revisionTags ?? []) tags.set(tag, `${revision} (${ref.version})`);
  }
  return { tags, istiods };
}

export function istioControlPlaneMoves(old: ReadonlyMap<string, readonly ReleaseRef[]>, next: ReadonlyMap<string, readonly ReleaseRef[]>): string[] {
  const out: string[] = [];
  for (const [cluster, refs] of next) {
    const was = controlPlanesOf(old.get(cluster) ?? []);
    const now = controlPlanesOf(refs);
    if (was.istiods.size === 0) continue;
    for (const [name, v] of now.istiods) if (!was.istiods.has(name)) out.push(`${cluster}: control plane ${name} (${v}) added`);
    for (const [name, v] of was.istiods) if (!now.istiods.has(name)) out.push(`${cluster}: control plane ${name} (${v}) removed`);
    for (const tag of [...new Set([...was.tags.keys(), ...now.tags.keys()])].sort()) {
      const [a, b] = [was.tags.get(tag), now.tags.get(tag)];
      if (a === b) continue;
      const who = tag === DEFAULT_TAG ? 'namespaces labelled istio-injection=enabled' : `namespaces labelled istio.io/rev=${tag}${tag === STABLE_TAG ? ' (meshfleet\'s samples among them)' : ''}`;
      out.push(`${cluster}: tag ${tag} ${a ?? 'none'} → ${b ?? 'none'}: ${who} change control plane when their pods restart`);
    }
  }
  return out;
}

/**
 * The in-place istiod (release `istiod`, no revision) going while a revision of the same release
 * comes: its proxies are connected to Service `istiod`, which would go with it. `unrevisioned`
 * keeps it until the canary's last step.
 */
export function istioReplacedStep(gone: ReleaseRef, added: readonly ReleaseRef[]): UpgradeStep | undefined {
  if (gone.chart !== 'istiod' || gone.name !== 'istiod' || (gone.values as { revision?: string }).revision) return undefined;
  const successor = added.find((r) => r.chart === 'istiod' && (r.values as { revision?: string }).revision === revisionName(gone.version));
  if (!successor) return undefined;
  return {
    field: 'spec.mesh.istio.unrevisioned',
    rule: `the committed output runs istiod ${gone.version} in place (release istiod), and the new one replaces it with ${successor.name}: the running proxies are connected to Service istiod, which goes with it, so they would lose their control plane until restarted`,
    fix: `set spec.mesh.istio.unrevisioned: "${gone.version}" to keep it until every workload has moved (\`npm run upgrade -- plan istio <version>\` writes each step)`,
  };
}
