/**
 * What Argo CD deletes on a live cluster when the output folder changes. A cluster's root
 * Application (argocd/<cluster>.yaml) is applied by hand and prunes its children automatically: a
 * child Application removed from clusters/<cluster>/ is deleted from the hub, and its
 * resources-finalizer deletes everything it deployed. When a whole cluster leaves, its root
 * Application points at a folder that no longer exists: Argo CD reports an error and deletes
 * nothing until someone deletes the Applications.
 */
import { shellWord } from '../../format/shell';
import type { DeliveryChange } from '../../contracts/engine';
import type { LocatedObject } from '../../contracts/tree';

const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const isApplication = (o: LocatedObject): boolean => o.ref.kind === 'Application' && o.ref.apiVersion.startsWith('argoproj.io/');
const cascades = (o: LocatedObject): boolean => ((o.object.metadata as { finalizers?: string[] } | undefined)?.finalizers ?? []).includes(FINALIZER);

export function argocdPruneNotices(change: DeliveryChange): string[] {
  const notes: string[] = [];
  const left = new Set(change.clustersLeft);
  for (const cluster of change.clustersLeft) {
    if (!change.removed.some((o) => isApplication(o) && o.ref.cluster === cluster)) continue;
    const label = shellWord(`meshfleet.io/cluster=${cluster}`);
    notes.push(`Argo CD: cluster ${cluster} leaves the fleet. Its root Application ${cluster} on the hub now points at a folder that no longer exists: ` +
      `Argo CD reports it as failing and deletes nothing on ${cluster} until you act. To detach ${cluster} and keep its workloads, drop the finalizers, then delete its Applications: ` +
      `\`kubectl -n argocd get applications -l ${label} -o name | xargs -I{} kubectl -n argocd patch {} --type=json -p='[{"op":"remove","path":"/metadata/finalizers"}]'\` and ` +
      `\`kubectl -n argocd delete applications -l ${label}\`; to tear its mesh down, run only the delete (the finalizers delete what each Application deployed). ` +
      `Then \`argocd cluster rm ${shellWord(cluster)}\`.`);
  }
  for (const o of change.removed.filter((a) => isApplication(a) && a.ref.stage === 'delivery' && cascades(a) && !left.has(a.ref.cluster))) {
    // Argo CD never deletes a CRD (it does not track them): unlike a Helm uninstall, the cascade
    // leaves a chart's CRDs, and with them the objects of those kinds it did not deploy.
    const source = ((o.object.spec ?? {}) as { source?: { chart?: string; targetRevision?: string } }).source ?? {};
    const kinds = source.chart ? change.chartOf(source.chart, source.targetRevision ?? '')?.uninstallDeletes ?? [] : [];
    const crds = kinds.length > 0 ? ` except its CustomResourceDefinitions (${kinds.join(', ')}): Argo CD never deletes a CRD, so objects of those kinds it did not deploy stay` : '';
    notes.push(`Argo CD: on ${o.ref.cluster}, Application ${o.ref.name} is removed: the root Application ${o.ref.cluster} prunes it, and its ${FINALIZER} deletes everything it deployed${crds}. ` +
      `To keep them, drop the finalizer before you merge: \`kubectl -n argocd patch application ${shellWord(o.ref.name)} --type=json -p='[{"op":"remove","path":"/metadata/finalizers"}]'\`.`);
  }
  return notes;
}
