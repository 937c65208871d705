/**
 * Links between Linkerd clusters (seed 004 §3.4, `linkerd multicluster link`), GitOps style as
 * `linkerd multicluster link-gen` (2.18+) does it: for every ordered pair, the linking cluster `to`
 * gets a `Link` to the target `from` and two `cluster-credentials-<from>` Secrets (a kubeconfig for
 * the service account linkerd-multicluster creates in `from`). The service-mirror controller for
 * it comes from the linkerd-multicluster chart's `controllers` (control-plane.ts).
 *
 * `npm run link` reads what only the live target knows, through its kubeconfig context: the token
 * and CA of linkerd-service-mirror-remote-access-default (its token Secret is made by the chart),
 * and, unless gateway.address pins it, the gateway's LoadBalancer address. It writes the Link
 * (public) and the Secrets (SOPS-encrypted to `to` and the operators) into pki/links/<to>/.
 * Every context is read before anything is written.
 */
import { LinkV1Alpha3 } from '../../../imports/linkerd-link-multicluster.linkerd.io';
import { UsageError } from '../../errors';
import type { Cluster, Fleet } from '../../fleet/types';
import { KubeSecret } from '../../../imports/k8s';
import { encryptedFile, fileReader } from '../../pki/files';
import { afterLink, FIRST_TOKENS, linkGeneration, liveGenerations, readTokens, TOKENS_FILE, tokensText } from '../../pki/tokens';
import { displayPath } from '../../format/paths';
import { shellFlag } from '../../format/shell';
import { commitPkiChanges } from '../../pki/transaction';
import type { ClusterPlan } from '../../contracts/plan';
import { toYaml } from '../../format/yaml';
import type { Tree } from '../../sops/sops';
import { kubectl } from '../../tools/kubectl';
import type { LinkStatus } from '../../contracts/mesh';
import {
  clusterRecipients, CREDENTIAL_NAMESPACES, CREDENTIALS_HEADER, credentialsPath, LINK_FILE_HEADER, linkFilePath, linkKey,
  LINKERD_NAMESPACE, MULTICLUSTER_NAMESPACE, type LinkerdPki,
} from './ca';
import { GATEWAY_IDENTITY, GATEWAY_NAME, GATEWAY_PORT, PROBE_PATH, PROBE_PERIOD, PROBE_PORT } from './control-plane';
import { peersOf } from './defaults';

/** The account linkerd-multicluster makes for the other clusters' controllers, and its token Secret. */
export const REMOTE_ACCESS_ACCOUNT = 'linkerd-service-mirror-remote-access-default';
export const REMOTE_ACCESS_TOKEN = `${REMOTE_ACCESS_ACCOUNT}-token`;
/**
 * The remote-access token Secret of a generation (`pki rotate-tokens`): the first is the chart's;
 * later ones meshfleet delivers in `mesh-config`, for the same account.
 */
export const remoteAccessToken = (generation: number): string => (generation === 1 ? REMOTE_ACCESS_TOKEN : `${REMOTE_ACCESS_TOKEN}-${generation}`);

/** The token Secrets meshfleet delivers beside the chart's while the remote-access tokens rotate (generations from 2). */
export function addRemoteAccessTokens(plan: ClusterPlan<LinkerdPki>): void {
  for (const g of liveGenerations(plan.pki?.tokens ?? FIRST_TOKENS).filter((n) => n > 1)) {
    new KubeSecret(plan.stage('mesh-config'), `remote-access-token-${g}`, {
      metadata: { name: remoteAccessToken(g), namespace: MULTICLUSTER_NAMESPACE, annotations: { 'kubernetes.io/service-account.name': REMOTE_ACCESS_ACCOUNT } },
      type: 'kubernetes.io/service-account-token',
    });
  }
}

/** What finish leaves to do by hand: the chart's first token stays valid until its Secret is deleted (the release re-creates it with a token nobody holds). */
export function retireRemoteAccessTokens(fleet: Fleet, generation: number): string[] {
  return fleet.clusters.map((c) => generation === 1
    ? `delete the chart's first token on ${c.name}: \`kubectl ${shellFlag('--context', c.context)} --namespace=${MULTICLUSTER_NAMESPACE} delete secret ${REMOTE_ACCESS_TOKEN}\` (its token stops working; the linkerd-multicluster release re-creates the Secret with a new token no link holds)`
    : `\`kubectl ${shellFlag('--context', c.context)} --namespace=${MULTICLUSTER_NAMESPACE} get secret ${remoteAccessToken(generation)}\` answers NotFound once ${c.name} has synced (else delete it: its token would stay valid)`);
}
export const credentialsName = (from: string): string => `cluster-credentials-${from}`;
export const EXPORTED_LABEL = 'mirror.linkerd.io/exported';

/** For every ordered pair: can `to` mirror `from` (its Link and credentials are in pki/ and encrypted to `to`)? */
export function linkStatus(fleet: Fleet, pki: LinkerdPki | undefined): LinkStatus[] {
  const out: LinkStatus[] = [];
  for (const from of fleet.clusters) {
    for (const to of peersOf(fleet, from)) {
      const link = pki?.links.get(linkKey(to.name, from.name));
      out.push({ from: from.name, to: to.name, linked: !!link && link.recipients.includes(to.ageRecipient) });
    }
  }
  return out;
}

/** The Link `linkerd multicluster link-gen --cluster-name <from>` prints (v1alpha3; ports are strings, period a duration). */
export function linkSpec(from: Cluster, gatewayAddress: string): Record<string, unknown> {
  return {
    targetClusterName: from.name,
    targetClusterDomain: 'cluster.local',
    targetClusterLinkerdNamespace: LINKERD_NAMESPACE,
    clusterCredentialsSecret: credentialsName(from.name),
    gatewayAddress,
    gatewayPort: String(GATEWAY_PORT),
    gatewayIdentity: GATEWAY_IDENTITY,
    probeSpec: { path: PROBE_PATH, port: String(PROBE_PORT), period: PROBE_PERIOD },
    selector: { matchLabels: { [EXPORTED_LABEL]: 'true' } },
    remoteDiscoverySelector: { matchLabels: { [EXPORTED_LABEL]: 'remote-discovery' } },
    federatedServiceSelector: { matchLabels: { 'mirror.linkerd.io/federated': 'member' } },
  };
}

/** The Links and credentials `to` holds, in mesh-config (the Link CRD comes with linkerd-multicluster in `mesh`). */
export function addLinks(plan: ClusterPlan<LinkerdPki>): void {
  const pki = plan.pki;
  for (const status of linkStatus(plan.fleet, pki)) {
    if (status.to !== plan.cluster.name || !status.linked) continue;
    const from = plan.fleet.clusters.find((c) => c.name === status.from)!;
    const files = pki!.links.get(linkKey(status.to, status.from))!;
    const stored = (files.link.spec ?? {}) as { gatewayAddress?: string };
    // A pinned address in fleet.yaml wins over the one read when linking.
    new LinkV1Alpha3(plan.stage('mesh-config'), `link-${from.name}`, {
      metadata: { name: from.name, namespace: MULTICLUSTER_NAMESPACE },
      spec: linkSpec(from, from.gateway.address ?? stored.gatewayAddress ?? ''),
    });
    for (const [ns, content] of files.credentials) {
      plan.verbatim('mesh-config', `secret-${credentialsName(from.name)}${ns === LINKERD_NAMESPACE ? '-linkerd' : ''}.yaml`, content);
    }
  }
}

interface TargetAccess {
  readonly cluster: Cluster;
  readonly token: string;
  readonly caData: string;
  readonly gatewayAddress: string;
}

function readTarget(bin: string, cluster: Cluster, tokenSecret: string): TargetAccess | string {
  const ctx = `--context=${cluster.context}`;
  const where = `${cluster.name} (context ${cluster.context})`;
  const secret = kubectl(bin, [ctx, `--namespace=${MULTICLUSTER_NAMESPACE}`, 'get', 'secret', tokenSecret, '--output=json']);
  if (!secret.ok) return `${where}: ${secret.err || 'kubectl failed'}`;
  let data: Record<string, string> | undefined;
  try {
    data = (JSON.parse(secret.out) as { data?: Record<string, string> }).data;
  } catch {
    return `${where}: kubectl did not return the Secret as JSON`;
  }
  if (!data?.token || !data['ca.crt']) {
    return `${where}: ${MULTICLUSTER_NAMESPACE}/${tokenSecret} has no token yet ` +
      (tokenSecret === REMOTE_ACCESS_TOKEN ? '(the linkerd-multicluster release creates it in the mesh stage; wait for that stage to be Ready)' : '(the mesh-config stage applies it: wait for that stage to be applied)');
  }
  let gatewayAddress = cluster.gateway.address;
  if (gatewayAddress === undefined) {
    const svc = kubectl(bin, [ctx, `--namespace=${MULTICLUSTER_NAMESPACE}`, 'get', 'service', GATEWAY_NAME, '--output=json']);
    if (!svc.ok) return `${where}: ${svc.err || 'kubectl failed'}`;
    let ingress: { ip?: string; hostname?: string }[] = [];
    try {
      ingress = (JSON.parse(svc.out) as { status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } }).status?.loadBalancer?.ingress ?? [];
    } catch {
      return `${where}: kubectl did not return the Service as JSON`;
    }
    const addresses = ingress.map((i) => i.ip ?? i.hostname).filter((a): a is string => !!a);
    if (addresses.length === 0) {
      return `${where}: ${MULTICLUSTER_NAMESPACE}/${GATEWAY_NAME} has no LoadBalancer address yet; wait for one, or pin it with gateway.address in fleet.yaml`;
    }
    gatewayAddress = addresses.join(',');
  }
  return { cluster, token: Buffer.from(data.token, 'base64').toString('utf8'), caData: data['ca.crt'], gatewayAddress };
}

/** The kubeconfig `link-gen` writes: the target's API server and CA, the remote-access account's token. */
export function remoteKubeconfig(access: TargetAccess): string {
  const name = access.cluster.name;
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { 'certificate-authority-data': access.caData, server: access.cluster.apiServer } }],
    contexts: [{ name, context: { cluster: name, user: REMOTE_ACCESS_ACCOUNT } }],
    'current-context': name,
    preferences: {},
    users: [{ name: REMOTE_ACCESS_ACCOUNT, user: { token: access.token } }],
  });
}

/** cluster-credentials-<from> in linkerd-multicluster (the controller's) or linkerd (the destination controller's). */
export function credentialsSecret(access: TargetAccess, namespace: string): Tree {
  const name = access.cluster.name;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: credentialsName(name),
      namespace,
      ...(namespace === LINKERD_NAMESPACE ? {
        labels: { 'multicluster.linkerd.io/cluster-name': name },
        annotations: { 'multicluster.linkerd.io/trust-domain': 'cluster.local', 'multicluster.linkerd.io/cluster-domain': 'cluster.local' },
      } : {}),
    },
    type: 'mirror.linkerd.io/remote-kubeconfig',
    stringData: { kubeconfig: remoteKubeconfig(access) },
  };
}

export async function linkLinkerd(fleet: Fleet, pkiDir: string, kubectlBin: string): Promise<string> {
  const tokens = readTokens(fileReader(pkiDir), displayPath(pkiDir));
  const tokenSecret = remoteAccessToken(linkGeneration(tokens));
  const results = fleet.clusters.map((c) => readTarget(kubectlBin, c, tokenSecret));
  const failures = results.filter((r): r is string => typeof r === 'string');
  if (failures.length > 0) {
    throw new UsageError(`could not read the multicluster credentials of ${failures.length} cluster(s); nothing was written:\n` +
      failures.map((f) => `  - ${f}`).join('\n') + '\nCheck the kubeconfig contexts in fleet.yaml (`kubectl config get-contexts`) and that the clusters are reachable.');
  }
  const files = new Map<string, string>();
  for (const access of results as TargetAccess[]) {
    const from = access.cluster;
    for (const to of peersOf(fleet, from)) {
      const link = { apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: from.name, namespace: MULTICLUSTER_NAMESPACE }, spec: linkSpec(from, access.gatewayAddress) };
      files.set(linkFilePath(to.name, from.name), LINK_FILE_HEADER + toYaml(link));
      for (const ns of CREDENTIAL_NAMESPACES) {
        files.set(credentialsPath(to.name, from.name, ns), await encryptedFile(CREDENTIALS_HEADER, credentialsSecret(access, ns), clusterRecipients(fleet, to)));
      }
    }
  }
  const linked = afterLink(tokens);
  if (linked) files.set(TOKENS_FILE, tokensText(linked));
  commitPkiChanges(pkiDir, files);
  const pairs = fleet.clusters.length * (fleet.clusters.length - 1);
  return `linked ${pairs} direction(s) between ${fleet.clusters.length} cluster(s) into ${pkiDir}/links/; run \`npm run synth\` to place the Links and credentials, and commit.`;
}
