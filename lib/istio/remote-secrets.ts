/**
 * Remote secrets, which let each istiod watch the other clusters' API servers.
 *
 * The static half goes to every cluster: a service-account token Secret for
 * istio-reader-service-account (created by the istio-base chart, hence `mesh-config`: the token
 * controller deletes token Secrets whose account does not exist). The token it receives is live
 * data; `npm run link` reads it through each kubeconfig context and writes
 * pki/links/<cluster>.sops.yaml, which synth places in every other cluster that can decrypt it.
 */
import { KubeSecret } from '../../imports/k8s';
import type { Fleet } from '../fleet/types';
import type { PkiState } from '../pki/store';
import type { ClusterPlan } from '../plan';
import { ISTIO_NAMESPACE } from './values';

export const READER_ACCOUNT = 'istio-reader-service-account';
export const READER_TOKEN_SECRET = `${READER_ACCOUNT}-istio-remote-secret-token`;

export const remoteSecretName = (cluster: string): string => `istio-remote-secret-${cluster}`;

export interface LinkStatus {
  /** The cluster whose API server is watched (its token is in the secret). */
  readonly from: string;
  /** The cluster whose istiod watches it. */
  readonly to: string;
  readonly linked: boolean;
}

/** For every ordered pair of clusters: is `from`'s remote secret in place in `to`? */
export function linkStatus(fleet: Fleet, pki: PkiState | undefined): LinkStatus[] {
  const out: LinkStatus[] = [];
  for (const from of fleet.clusters) {
    const link = pki?.links.get(from.name);
    for (const to of fleet.clusters) {
      if (to.name === from.name) continue;
      out.push({ from: from.name, to: to.name, linked: !!link && link.recipients.includes(to.ageRecipient) });
    }
  }
  return out;
}

export function addRemoteSecrets(plan: ClusterPlan): void {
  const stage = plan.stage('mesh-config');
  new KubeSecret(stage, 'reader-token', {
    metadata: {
      name: READER_TOKEN_SECRET,
      namespace: ISTIO_NAMESPACE,
      annotations: { 'kubernetes.io/service-account.name': READER_ACCOUNT },
    },
    type: 'kubernetes.io/service-account-token',
  });
  for (const status of linkStatus(plan.fleet, plan.pki)) {
    if (status.to !== plan.cluster.name || !status.linked) continue;
    plan.verbatim('mesh-config', `secret-${remoteSecretName(status.from)}.yaml`, plan.pki!.links.get(status.from)!.content);
  }
}
