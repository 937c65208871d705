/**
 * `npm run upgrade -- plan istio <version>`: a fleet-wide canary as fleet.yaml edits, one reviewed
 * pull request each (issue 25). From one control plane (`version`) or a canary under way:
 *   1. add the new revision beside the running one; both tags stay on the running one;
 *   2. move `canary` to the new revision (namespaces labelled istio.io/rev=canary try it);
 *   3. move `stable` cluster by cluster, in fleet order (the last move is the fleet-wide tag);
 *   4. remove the old revision: nothing points at it any more.
 * Each step is computed from fleet.yaml as it is, so `--write` applies the next one, and the plan
 * printed after a step is the rest.
 */
import type { RawFleet } from '../../fleet/types';
import { compareVersions, minorOf } from '../../format/semver';
import type { PlanEdit, UpgradePlan } from '../../contracts/upgrade';
import { ISTIO_DEFAULTS, rawIstioOf, type RawIstio } from './defaults';
import { SUPPORTED_ISTIO_VERSIONS } from './releases';
import { minorGap, rawClusterTags, revisionName, STABLE_TAG } from './revisions';

const CANARY_TAG = 'canary';
const ISTIO = ['spec', 'mesh', 'istio'];

/** The next step towards `target` from `raw`; undefined when the fleet runs only `target`. */
function nextStep(raw: RawFleet, target: string): PlanEdit | undefined {
  const istio = (rawIstioOf(raw) ?? {}) as RawIstio;
  if (!istio.revisions) {
    const running = istio.version ?? ISTIO_DEFAULTS.istioVersion;
    if (running === target) return undefined;
    return {
      title: `add revision ${target} beside ${running}`,
      ops: [
        { op: 'delete', path: [...ISTIO, 'version'] },
        { op: 'set', path: [...ISTIO, 'revisions'], value: [running, target] },
        { op: 'set', path: [...ISTIO, 'tags'], value: { [STABLE_TAG]: running, [CANARY_TAG]: running } },
        { op: 'set', path: [...ISTIO, 'unrevisioned'], value: running },
      ],
      effect: `every primary keeps istiod ${running} (release istiod, the proxies' control plane) and adds istiod-${revisionName(target)}; ` +
        'the samples select the stable tag (istio.io/rev=stable) instead of istio-injection=enabled; no workload changes control plane. ' +
        'Relabel your own namespaces the same way now (`kubectl label namespace <ns> istio-injection- istio.io/rev=stable`): istio-injection=enabled stays with the in-place istiod until it is removed',
    };
  }
  const others = istio.revisions.filter((v) => v !== target);
  if (!istio.revisions.includes(target)) {
    return {
      title: `replace revision ${others.join(', ')} … with ${target}`,
      ops: [],
      effect: `finish the canary under way first (its last step removes the old revision), then plan ${target}`,
      blocked: true,
    };
  }
  const tags = istio.tags ?? {};
  if (tags[CANARY_TAG] !== target) {
    return {
      title: `move the canary tag to ${target}`,
      ops: [{ op: 'set', path: [...ISTIO, 'tags', CANARY_TAG], value: target }],
      effect: `namespaces labelled istio.io/rev=canary move to istiod-${revisionName(target)} when their pods restart`,
    };
  }
  const clusters = raw.spec.clusters;
  // Primaries move their tags; a remote follows its primary (its injection and istiod address are the primary's).
  const behind = clusters.map((c, i) => ({ c, i })).filter(({ c }) => c.role !== 'remote' && (rawClusterTags(c)?.[STABLE_TAG] ?? tags[STABLE_TAG]) !== target);
  const remotesOf = (name: string): string => { const r = clusters.filter((c) => c.role === 'remote' && c.primary === name).map((c) => c.name); return r.length > 0 ? ` and its remotes (${r.join(', ')})` : ''; };
  if (behind.length > 1) {
    const { c, i } = behind[0]!;
    return {
      title: `move stable to ${target} on ${c.name}${remotesOf(c.name)}`,
      ops: [{ op: 'set', path: ['spec', 'clusters', i, 'istio', 'tags', STABLE_TAG], value: target }],
      effect: `on ${c.name}${remotesOf(c.name)} the stable tag moves to istiod-${revisionName(target)}: restart its namespaces' workloads (dist/README.md, "Upgrading"); the other clusters do not change`,
    };
  }
  if (behind.length === 1 || tags[STABLE_TAG] !== target) {
    const last = behind[0]?.c.name;
    return {
      title: `move stable to ${target}${last ? ` on ${last}${remotesOf(last)}, the last primary` : ''}: the fleet-wide tag`,
      ops: [
        { op: 'set', path: [...ISTIO, 'tags', STABLE_TAG], value: target },
        ...clusters.flatMap((c, i) => (rawClusterTags(c)?.[STABLE_TAG] !== undefined ? [{ op: 'delete' as const, path: ['spec', 'clusters', i, 'istio'] }] : [])),
      ],
      effect: `${last ? `on ${last} the stable tag moves to istiod-${revisionName(target)}: restart its workloads; ` : ''}the per-cluster tags fold into the fleet's`,
    };
  }
  if (others.length > 0) {
    return {
      title: `remove revision ${others.join(', ')}`,
      ops: [{ op: 'set', path: [...ISTIO, 'revisions'], value: [target] }, ...(istio.unrevisioned !== undefined ? [{ op: 'delete' as const, path: [...ISTIO, 'unrevisioned'] }] : [])],
      effect: `${others.join(', ')} leaves every primary and no tag points at it; the default tag (namespaces labelled istio-injection=enabled) moves to istiod-${revisionName(target)}. ` +
        'Before merging, every workload must run on the new revision: `istioctl proxy-status` on each primary lists none on the old one',
    };
  }
  return undefined;
}

export function istioUpgradePlan(raw: RawFleet, target: string): UpgradePlan {
  if (!(SUPPORTED_ISTIO_VERSIONS as readonly string[]).includes(target)) {
    return { error: { rule: `${target} is not a release meshfleet has tested charts for`, fix: `use one of ${SUPPORTED_ISTIO_VERSIONS.join(', ')}` } };
  }
  const istio = (rawIstioOf(raw) ?? {}) as RawIstio;
  const running = [...(istio.revisions ?? [istio.version ?? ISTIO_DEFAULTS.istioVersion])].sort(compareVersions)[0]!;
  if (compareVersions(target, running) < 0) {
    return { error: { rule: `${target} is older than the running ${running}`, fix: 'a canary moves forward; to go back, move the tags back to the old revision before it is removed' } };
  }
  if (minorGap(running, target) > 2) {
    return { error: { rule: `${running} → ${target} is ${minorGap(running, target)} minors; a canary may skip one minor at most (istio.io, "Canary upgrades")`, fix: `plan a canary to 1.${minorOf(running)[1] + 2} first` } };
  }
  const step = nextStep(raw, target);
  return { next: step };
}

export { nextStep as istioNextStep };
