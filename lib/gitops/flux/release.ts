/** The release a Flux HelmRelease installs, the way helm-controller renders it. */
import { UsageError } from '../../errors';
import type { KubeObject } from '../../kube';
import type { ReleaseRef } from '../../contracts/engine';

interface HelmReleaseSpec {
  releaseName?: string;
  targetNamespace?: string;
  values?: Record<string, unknown>;
  chart: { spec: { chart: string; version?: string; sourceRef: { kind: string; name: string; namespace?: string } } };
}

function isHelmRelease(obj: KubeObject): boolean {
  return obj.kind === 'HelmRelease' && obj.apiVersion.startsWith('helm.toolkit.fluxcd.io/');
}

export function releaseOf(obj: KubeObject, given: readonly KubeObject[]): ReleaseRef | undefined {
  if (!isHelmRelease(obj)) return undefined;
  const spec = obj.spec as HelmReleaseSpec;
  const ns = obj.metadata?.namespace ?? 'default';
  const name = obj.metadata?.name ?? '';
  const chart = spec.chart.spec;
  if (!chart.version) throw new UsageError(`HelmRelease ${ns}/${name} pins no chart version`);
  const repository = { name: chart.sourceRef.name, namespace: chart.sourceRef.namespace ?? ns };
  const source = given.find((o) => o.kind === 'HelmRepository' && o.apiVersion.startsWith('source.toolkit.fluxcd.io/')
    && o.metadata?.name === repository.name && (o.metadata?.namespace ?? 'default') === repository.namespace);
  const url = (source?.spec as { url?: string } | undefined)?.url;
  return {
    name,
    // Flux's default release name is [<targetNamespace>-]<name>.
    releaseName: spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-${name}` : name),
    namespace: spec.targetNamespace ?? ns,
    chart: chart.chart,
    version: chart.version,
    values: spec.values ?? {},
    repository,
    ...(url ? { url } : {}),
  };
}
