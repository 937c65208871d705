/**
 * What Flux deletes on a live cluster when the output folder changes: a Kustomization removed from
 * clusters/<cluster>/ is deleted by the cluster's flux-system Kustomization, and with `prune: true`
 * (the default deletionPolicy MirrorPrune) it first garbage-collects everything it applied; a
 * removed HelmRelease is uninstalled. A suspended Kustomization is deleted without pruning, which is
 * how a rename or a detach keeps the workloads.
 */
import { compareNames } from '../../fleet/defaults';
import { objectsUnder } from '../../review/diff';
import { shellFlag, shellWord } from '../../format/shell';
import { crdLoss, losesCrds, type DeliveryChange } from '../../contracts/engine';
import type { LocatedObject } from '../../contracts/tree';

/** The chart and version a HelmRelease installs (spec.chart.spec, or a chartRef's name). */
function chartOfRelease(o: LocatedObject): { chart: string; version: string } {
  const spec = ((o.object.spec ?? {}) as { chart?: { spec?: { chart?: string; version?: string } } }).chart?.spec ?? {};
  return { chart: spec.chart ?? o.ref.name, version: spec.version ?? '' };
}

const isKustomization = (o: LocatedObject): boolean =>
  o.ref.stage === 'delivery' && o.ref.kind === 'Kustomization' && o.ref.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/');
const isHelmRelease = (o: LocatedObject): boolean => o.ref.kind === 'HelmRelease' && o.ref.apiVersion.startsWith('helm.toolkit.fluxcd.io/');

interface KustomizationSpec {
  path?: string;
  prune?: boolean;
  suspend?: boolean;
}
const byName = (a: LocatedObject, b: LocatedObject): number => compareNames(a.ref.name, b.ref.name);
const specOf = (o: LocatedObject): KustomizationSpec => (o.object.spec ?? {}) as KustomizationSpec;

/** The dist-relative stage folder a Kustomization applies (its path ends in manifests/<cluster>/<stage>). */
function folderOf(o: LocatedObject): string | undefined {
  const m = /(?:^|\/)(manifests\/[^/]+\/[^/]+)\/?$/.exec(specOf(o).path ?? '');
  return m?.[1];
}

function describeObjects(change: DeliveryChange, folder: string | undefined): string {
  if (!folder) return 'everything it applied';
  const kinds = objectsUnder(change.old, folder);
  const total = [...kinds.values()].reduce((a, b) => a + b, 0);
  const list = [...kinds].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, n]) => `${n} ${k}`).join(', ');
  return `everything it applied from ${folder}/ (${total} object(s): ${list})`;
}

const ctx = (change: DeliveryChange, cluster: string): string => {
  const c = change.contextOf(cluster);
  return c === undefined ? `--context=<${cluster}'s kubeconfig context>` : shellFlag('--context', c);
};

export function fluxPruneNotices(change: DeliveryChange): string[] {
  const notes: string[] = [];
  const left = new Set(change.clustersLeft);
  const removedKs = change.removed.filter((o) => isKustomization(o) && specOf(o).prune === true && specOf(o).suspend !== true);
  for (const cluster of change.clustersLeft) {
    const ks = removedKs.filter((o) => o.ref.cluster === cluster).sort(byName);
    if (ks.length === 0) continue;
    const total = ks.reduce((n, o) => n + [...objectsUnder(change.old, folderOf(o) ?? '\0').values()].reduce((a, b) => a + b, 0), 0);
    notes.push(`Flux: cluster ${cluster} leaves the fleet. If Flux still runs on ${cluster}, its next sync deletes the Kustomizations ` +
      `${ks.map((o) => o.ref.name).join(', ')}, and each one's prune deletes everything it applied (${total} object(s), the mesh among them). ` +
      `To keep ${cluster} running as it is, detach it before you merge: \`flux ${ctx(change, cluster)} suspend kustomization --all\` ` +
      `(a suspended Kustomization is deleted without pruning) or \`flux ${ctx(change, cluster)} uninstall --keep-namespace\` (removes Flux, keeps the workloads). ` +
      'To tear the mesh down on purpose, merge as it is.');
  }
  const stay = removedKs.filter((k) => !left.has(k.ref.cluster)).sort(byName);
  for (const cluster of [...new Set(stay.map((o) => o.ref.cluster))]) {
    const renamed: [LocatedObject, LocatedObject][] = [];
    for (const o of stay.filter((k) => k.ref.cluster === cluster)) {
      const folder = folderOf(o);
      const successor = change.added.find((a) => isKustomization(a) && a.ref.cluster === cluster && folder !== undefined && folderOf(a) === folder);
      if (successor) {
        renamed.push([o, successor]);
        continue;
      }
      // Its HelmReleases go with it: each is uninstalled, with the CRDs its chart does not keep.
      const losses = change.removed.filter((r) => isHelmRelease(r) && r.ref.cluster === cluster && folder === `manifests/${r.ref.cluster}/${r.ref.stage}`)
        .map((r) => {
          const { chart, version } = chartOfRelease(r);
          const pin = change.chartOf(chart, version);
          return losesCrds(pin) ? `HelmRelease ${r.ref.name} is uninstalled with it${crdLoss(pin, chart)}. ` : '';
        }).join('');
      notes.push(`Flux: on ${cluster}, Kustomization ${o.ref.name} is removed: Flux deletes it and its prune deletes ${describeObjects(change, folder)}. ${losses}` +
        `To keep them, \`flux ${ctx(change, cluster)} suspend kustomization ${shellWord(o.ref.name)}\` before you merge.`);
    }
    if (renamed.length > 0) {
      const names = renamed.map(([o]) => o.ref.name);
      notes.push(`Flux: on ${cluster}, ${renamed.map(([o, n]) => `${o.ref.name} → ${n.ref.name}`).join(', ')}: Kustomizations renamed (same paths). ` +
        'Flux deletes each old one, and its prune deletes everything it applied before the new one applies it again: an outage of the mesh. ' +
        `Before you merge, suspend the old ones, so that they are deleted without pruning and the new ones take their objects over: ` +
        `\`flux ${ctx(change, cluster)} suspend kustomization ${names.map(shellWord).join(' ')}\`.`);
    }
  }
  // A HelmRelease whose stage stays: helm-controller uninstalls it (a removed stage's releases are counted above).
  const goneFolders = new Set(removedKs.map(folderOf).filter((f): f is string => f !== undefined));
  for (const o of change.removed.filter(isHelmRelease)) {
    if (left.has(o.ref.cluster) || goneFolders.has(`manifests/${o.ref.cluster}/${o.ref.stage}`)) continue;
    if (change.added.some((a) => isHelmRelease(a) && a.ref.cluster === o.ref.cluster && a.ref.name === o.ref.name && a.ref.namespace === o.ref.namespace)) continue;
    const { chart, version } = chartOfRelease(o);
    const pin = change.chartOf(chart, version);
    const loses = losesCrds(pin);
    notes.push(`Flux: on ${o.ref.cluster}, HelmRelease ${o.ref.namespace ?? 'default'}/${o.ref.name} is removed: helm-controller uninstalls the release, deleting what its chart installed${crdLoss(pin, chart)}.` +
      (loses ? ` To keep all of it, \`flux ${ctx(change, o.ref.cluster)} suspend helmrelease -n ${shellWord(o.ref.namespace ?? 'default')} ${shellWord(o.ref.name)}\` before you merge: a suspended HelmRelease is deleted without uninstalling, and the objects stay for you to remove.` : ''));
  }
  return notes;
}
