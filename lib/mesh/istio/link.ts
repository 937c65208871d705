/**
 * `npm run link`: the one step that needs the live clusters. For each cluster it reads, through
 * the cluster's kubeconfig context, the token and CA of istio-reader-service-account (the token
 * Secret meshfleet applies in `mesh-config`), builds the remote secret `istioctl
 * create-remote-secret` would (label istio/multiCluster, annotation networking.istio.io/cluster,
 * data key = cluster name, kubeconfig with the inline token) and writes it SOPS-encrypted to
 * pki/links/<cluster>.sops.yaml, for the primaries that watch the cluster (a remote watches none). Every context is read before anything is written: one unreachable
 * cluster stops the command and leaves pki/ as it was.
 */
import { UsageError } from '../../errors';
import type { Cluster, Fleet } from '../../fleet/types';
import { encryptedFile } from '../../pki/files';
import { commitPkiChanges } from '../../pki/transaction';
import { toYaml } from '../../format/yaml';
import type { Tree } from '../../sops/sops';
import { kubectl } from '../../tools/kubectl';
import { LINK_HEADER, linkPath, linkRecipients } from './ca';
import { isRemote, istioOf, watchersOf } from './defaults';
import { readerTokenSecret, remoteSecretName } from './remote-secrets';
import { REMOTE_SECRET_RESTART } from './releases';
import { fileReader } from '../../pki/files';
import { afterLink, linkGeneration, readTokens, TOKENS_FILE, tokensText } from '../../pki/tokens';
import { displayPath } from '../../format/paths';
import { minorOf } from '../../format/semver';
import { shellFlag } from '../../format/shell';
import { ISTIO_NAMESPACE } from './values';

interface ClusterAccess {
  readonly cluster: Cluster;
  readonly token: string;
  readonly caData: string;
  /** The server in the operator's kubeconfig, for the note when it differs from fleet.yaml's apiServer. */
  readonly kubeconfigServer: string;
}

function readAccess(bin: string, cluster: Cluster, tokenSecret: string): ClusterAccess | string {
  const ctx = `--context=${cluster.context}`;
  const secret = kubectl(bin, [ctx, `--namespace=${ISTIO_NAMESPACE}`, 'get', 'secret', tokenSecret, '--output=json']);
  if (!secret.ok) return `${cluster.name} (context ${cluster.context}): ${secret.err || 'kubectl failed'}`;
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(secret.out) as { data?: Record<string, string> }).data;
  } catch {
    return `${cluster.name} (context ${cluster.context}): kubectl did not return the Secret as JSON`;
  }
  if (!data?.token || !data['ca.crt']) {
    return `${cluster.name} (context ${cluster.context}): ${ISTIO_NAMESPACE}/${tokenSecret} has no token yet ` +
      '(the mesh-config stage applies it, after istio-base created the reader account; wait for that stage to be applied)';
  }
  const server = kubectl(bin, [ctx, 'config', 'view', '--minify', '--output=jsonpath={.clusters[0].cluster.server}']);
  return {
    cluster,
    token: Buffer.from(data.token, 'base64').toString('utf8'),
    caData: data['ca.crt'],
    kubeconfigServer: server.ok ? server.out.trim() : '',
  };
}

/** The kubeconfig istiod uses to watch `access.cluster`, as `istioctl create-remote-secret` writes it. */
export function remoteKubeconfig(access: ClusterAccess): string {
  const name = access.cluster.name;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { 'certificate-authority-data': access.caData, server: access.cluster.apiServer } }],
    contexts: [{ name, context: { cluster: name, user: name } }],
    'current-context': name,
    preferences: {},
    users: [{ name, user: { token: access.token } }],
  });
}

export function remoteSecret(access: ClusterAccess): Tree {
  const name = access.cluster.name;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: remoteSecretName(name),
      namespace: ISTIO_NAMESPACE,
      labels: { 'istio/multiCluster': 'true' },
      annotations: { 'networking.istio.io/cluster': name },
    },
    type: 'Opaque',
    stringData: { [name]: remoteKubeconfig(access) },
  };
}

/**
 * The istiod restart a release known to drop endpoints on a changed remote secret needs (decided by
 * the releases the fleet runs), one line per primary; empty for the others.
 */
export function remoteSecretRestart(fleet: Fleet): string[] {
  const istio = istioOf(fleet);
  const affected = (istio.revisions ?? [istio.version]).filter((v) => REMOTE_SECRET_RESTART.minors.includes(minorOf(v).join('.') as '1.30'));
  if (affected.length === 0) return [];
  const primaries = fleet.clusters.filter((c) => !isRemote(c) && fleet.clusters.some((o) => o !== c && watchersOf(fleet, o).includes(c)));
  return [`Istio ${affected.join(', ')} drops a remote cluster's endpoints when its remote secret changes, until istiod restarts (${REMOTE_SECRET_RESTART.issue}): ` +
    'once each primary\'s mesh-config stage has applied the new remote secrets, restart its istiod: ' +
    primaries.map((c) => `\`kubectl ${shellFlag('--context', c.context)} --namespace=${ISTIO_NAMESPACE} rollout restart deployment -l app=istiod\``).join(', ') + '.'];
}

export async function linkIstio(fleet: Fleet, pkiDir: string, kubectlBin: string): Promise<string> {
  // Only clusters some primary's istiod watches: a lone primary's own token is read by nobody.
  const tokens = readTokens(fileReader(pkiDir), displayPath(pkiDir));
  const tokenSecret = readerTokenSecret(linkGeneration(tokens));
  const results = fleet.clusters.filter((c) => watchersOf(fleet, c).length > 0).map((c) => readAccess(kubectlBin, c, tokenSecret));
  const failures = results.filter((r): r is string => typeof r === 'string');
  if (failures.length > 0) {
    throw new UsageError(`could not read the remote-secret token of ${failures.length} cluster(s); nothing was written:\n` +
      failures.map((f) => `  - ${f}`).join('\n') + '\nCheck the kubeconfig contexts in fleet.yaml (`kubectl config get-contexts`) and that the clusters are reachable.');
  }
  const files = new Map<string, string>();
  const notes: string[] = [];
  for (const access of results as ClusterAccess[]) {
    files.set(linkPath(access.cluster.name), await encryptedFile(LINK_HEADER, remoteSecret(access), linkRecipients(fleet, access.cluster)));
    if (access.kubeconfigServer && access.kubeconfigServer !== access.cluster.apiServer) {
      notes.push(`note: ${access.cluster.name}'s kubeconfig server is ${access.kubeconfigServer}; the remote secret uses fleet.yaml's apiServer ${access.cluster.apiServer}, which the other clusters must reach`);
    }
  }
  const linked = afterLink(tokens);
  const count = files.size;
  if (linked) files.set(TOKENS_FILE, tokensText(linked));
  commitPkiChanges(pkiDir, files);
  return [...notes, `linked ${count} cluster(s) into ${pkiDir}/links/ with the tokens of ${tokenSecret}; run \`npm run synth\` to place the remote secrets and commit.`,
    ...remoteSecretRestart(fleet)].join('\n');
}
