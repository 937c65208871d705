/** The release an Argo CD Application with a Helm source installs, the way Argo CD's repo-server renders it. */
import { UsageError } from '../../errors';
import type { KubeObject } from '../../kube';
import type { ReleaseRef } from '../../contracts/engine';

/** The label that names an Application's Helm repository the way features do (values validation, `helm-template`). */
export const HELM_REPOSITORY_LABEL = 'meshfleet.io/helm-repository';

interface ApplicationHelmSource {
  repoURL: string;
  chart?: string;
  targetRevision?: string;
  helm?: { releaseName?: string; valuesObject?: Record<string, unknown> };
}

/** An Argo CD Application whose source is a Helm chart. */
function isHelmApplication(obj: KubeObject): boolean {
  return obj.kind === 'Application' && obj.apiVersion.startsWith('argoproj.io/')
    && typeof (obj.spec as { source?: ApplicationHelmSource } | undefined)?.source?.chart === 'string';
}

/** What `helm template` needs from an Argo CD Application's Helm source, the way Argo CD's repo-server renders it. */
export function releaseOf(obj: KubeObject): ReleaseRef | undefined {
  if (!isHelmApplication(obj)) return undefined;
  const spec = obj.spec as { source: ApplicationHelmSource; destination: { namespace?: string } };
  const name = obj.metadata?.name ?? '';
  const { source } = spec;
  if (!source.targetRevision) throw new UsageError(`Application ${name} pins no chart version (targetRevision)`);
  const releaseName = source.helm?.releaseName ?? name;
  return {
    name: releaseName,
    releaseName,
    namespace: spec.destination.namespace ?? 'default',
    chart: source.chart!,
    version: source.targetRevision,
    values: source.helm?.valuesObject ?? {},
    repository: { name: obj.metadata?.labels?.[HELM_REPOSITORY_LABEL] ?? source.repoURL, namespace: obj.metadata?.namespace ?? 'argocd' },
    // Argo CD writes an OCI Helm repository without its scheme; helm needs it.
    url: /^[a-z]+:\/\//.test(source.repoURL) ? source.repoURL : `oci://${source.repoURL}`,
    kind: 'Application',
  };
}
