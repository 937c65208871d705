/**
 * Remote secrets, which let each istiod watch the other clusters' API servers. Links have a
 * direction: every primary gets the remote secret of every other cluster of the mesh (other
 * primaries, its own remotes and theirs); a remote runs no istiod and gets none.
 *
 * The static half goes to every cluster some istiod watches: a service-account token Secret for
 * istio-reader-service-account (created by the istio-base chart, hence `mesh-config`: the token
 * controller deletes token Secrets whose account does not exist). The token it receives is live
 * data; `npm run link` reads it through each kubeconfig context and writes
 * pki/links/<cluster>.sops.yaml, which synth places in every other cluster that can decrypt it.
 */
import { KubeSecret } from '../../../imports/k8s';
import type { Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import type { LinkStatus } from '../../contracts/mesh';
import type { IstioPki } from './ca';
import { isRemote, watchersOf } from './defaults';
import { ISTIO_NAMESPACE } from './values';
import { FIRST_TOKENS, liveGenerations } from '../../pki/tokens';

export const READER_ACCOUNT = 'istio-reader-service-account';
export const READER_TOKEN_SECRET = `${READER_ACCOUNT}-istio-remote-secret-token`;
/** The reader token Secret of a generation (`pki rotate-tokens`): the first keeps the name it always had. */
export const readerTokenSecret = (generation: number): string => (generation === 1 ? READER_TOKEN_SECRET : `${READER_TOKEN_SECRET}-${generation}`);

export const remoteSecretName = (cluster: string): string => `istio-remote-secret-${cluster}`;

/**
 * For every cluster and every primary that watches it: is `from`'s remote secret (its API server,
 * watched) in place in `to` (whose istiod watches it)?
 */
export function linkStatus(fleet: Fleet, pki: IstioPki | undefined): LinkStatus[] {
  const out: LinkStatus[] = [];
  for (const from of fleet.clusters) {
    const link = pki?.links.get(from.name);
    for (const to of watchersOf(fleet, from)) {
      out.push({ from: from.name, to: to.name, linked: !!link && link.recipients.includes(to.ageRecipient) });
    }
  }
  return out;
}

export function addRemoteSecrets(plan: ClusterPlan<IstioPki>): void {
  // The remote profile's base chart creates istio-reader-service-account too, and its istiod chart
  // the reader ClusterRole and binding, so a remote's token works for its primary.
  if (watchersOf(plan.fleet, plan.cluster).length > 0) for (const g of liveGenerations(plan.pki?.tokens ?? FIRST_TOKENS)) addReaderToken(plan, g);
  const pki = plan.pki;
  for (const status of linkStatus(plan.fleet, pki)) {
    if (status.to !== plan.cluster.name || !status.linked) continue;
    plan.verbatim('mesh-config', `secret-${remoteSecretName(status.from)}.yaml`, pki!.links.get(status.from)!.content);
  }
}

function addReaderToken(plan: ClusterPlan, generation: number): void {
  new KubeSecret(plan.stage('mesh-config'), generation === 1 ? 'reader-token' : `reader-token-${generation}`, {
    metadata: {
      name: readerTokenSecret(generation),
      namespace: ISTIO_NAMESPACE,
      annotations: { 'kubernetes.io/service-account.name': READER_ACCOUNT },
    },
    type: 'kubernetes.io/service-account-token',
  });
}

/**
 * The plug-in CA: Secret istio-system/cacerts, SOPS-encrypted to the cluster and the operators in
 * pki/ and copied unchanged into `mesh-prereqs`, which is applied before the stage that installs
 * istiod — istiod reads cacerts only when it first starts, and self-signs without it.
 */
export function addCacerts(plan: ClusterPlan<IstioPki>): void {
  // A remote runs no istiod: its workloads get their certificates from the primary's, so a copy of
  // a CA key there would only widen who can read one.
  if (isRemote(plan.cluster)) return;
  const ca = plan.pki?.clusters.get(plan.cluster.name);
  if (ca) plan.verbatim('mesh-prereqs', 'secret-cacerts.yaml', ca.cacerts);
}
