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
import { watchersOf } from './defaults';
import { READER_TOKEN_SECRET, remoteSecretName } from './remote-secrets';
import { ISTIO_NAMESPACE } from './values';

interface ClusterAccess {
  readonly cluster: Cluster;
  readonly token: string;
  readonly caData: string;
  /** The server in the operator's kubeconfig, for the note when it differs from fleet.yaml's apiServer. */
  readonly kubeconfigServer: string;
}

function readAccess(bin: string, cluster: Cluster): ClusterAccess | string {
  const ctx = `--context=${cluster.context}`;
  const secret = kubectl(bin, [ctx, `--namespace=${ISTIO_NAMESPACE}`, 'get', 'secret', READER_TOKEN_SECRET, '--output=json']);
  if (!secret.ok) return `${cluster.name} (context ${cluster.context}): ${secret.err || 'kubectl failed'}`;
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(secret.out) as { data?: Record<string, string> }).data;
  } catch {
    return `${cluster.name} (context ${cluster.context}): kubectl did not return the Secret as JSON`;
  }
  if (!data?.token || !data['ca.crt']) {
    return `${cluster.name} (context ${cluster.context}): ${ISTIO_NAMESPACE}/${READER_TOKEN_SECRET} has no token yet ` +
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

export async function linkIstio(fleet: Fleet, pkiDir: string, kubectlBin: string): Promise<string> {
  // Only clusters some primary's istiod watches: a lone primary's own token is read by nobody.
  const results = fleet.clusters.filter((c) => watchersOf(fleet, c).length > 0).map((c) => readAccess(kubectlBin, c));
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
  commitPkiChanges(pkiDir, files);
  return [...notes, `linked ${files.size} cluster(s) into ${pkiDir}/links/; run \`npm run synth\` to place the remote secrets and commit.`].join('\n');
}
