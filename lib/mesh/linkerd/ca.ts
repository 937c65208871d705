/**
 * Linkerd's CA store, pki/ beside fleet.yaml:
 *
 *   trust-anchor.pem                     the fleet's trust anchor (public; every cluster's identityTrustAnchorsPEM)
 *   trust-anchor-key.sops.yaml           its key, SOPS-encrypted to the operators
 *   <cluster>/issuer.pem                 the cluster's identity issuer (public)
 *   <cluster>/identity-issuer.sops.yaml  Secret linkerd/linkerd-identity-issuer (kubernetes.io/tls, with ca.crt),
 *                                        SOPS-encrypted to the cluster and the operators; synth copies it into
 *                                        the cluster's mesh-prereqs stage byte for byte
 *   links/<to>/link-<from>.yaml          the Link `to` uses to mirror `from` (written by `npm run link`; public)
 *   links/<to>/cluster-credentials-<from>[.linkerd].sops.yaml
 *                                        its kubeconfig Secrets, SOPS-encrypted to `to` and the operators
 *
 * Certificates follow Linkerd's rules (step's root-ca / intermediate-ca profiles): ECDSA P-256,
 * `CA:true` (anchor pathlen 1, issuer pathlen 0), `keyCertSign, cRLSign`, no EKU; CN
 * root.linkerd.cluster.local / identity.linkerd.cluster.local; an issuer never outlives the anchor
 * (leaf certificates are cut at the earliest expiry in the chain). Randomness only when files are made.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../errors';
import type { Cluster, Fleet } from '../../fleet/types';
import { createSigningCa, type KeyPairPem } from '../../pki/certs';
import { CERT_SHA256_ANNOTATION, certFingerprint, encryptedFile, fileReader, unique, withCertFingerprint } from '../../pki/files';
import { readTokens, type TokenState } from '../../pki/tokens';
import { chainsTo, nextPath, readTrust, signingKeyPath, signingRoot, statusRoots } from '../../pki/rotation';
import { pemBlocks } from '../../format/pem';
import { certRow, rootRows } from '../../pki/status';
import { commitPkiChanges } from '../../pki/transaction';
import { escapeRegex, pathPrefix } from '../../sops/config';
import { operatorIdentities } from '../../sops/identity';
import { recipientsMismatch } from '../../format/recipients';
import { decryptObject, recipientsOf, type Tree } from '../../sops/sops';
import type { CaProfile, RootRotation } from '../../contracts/mesh';
import { linkerdOf, peersOf } from './defaults';
import { displayPath } from '../../format/paths';
import type { FileReader, StoreFile } from '../../contracts/store';
import type { KeyPairFiles, StatusRow, StoreTrust } from '../../contracts/store';
import type { SopsRule } from '../../contracts/store';

export const LINKERD_NAMESPACE = 'linkerd';
export const MULTICLUSTER_NAMESPACE = 'linkerd-multicluster';
export const ISSUER_SECRET = 'linkerd-identity-issuer';
export const ANCHOR_CN = 'root.linkerd.cluster.local';
export const ISSUER_CN = 'identity.linkerd.cluster.local';

export const ANCHOR_CERT = 'trust-anchor.pem';
export const ANCHOR_KEY = 'trust-anchor-key.sops.yaml';
export const issuerCertPath = (cluster: string): string => `${cluster}/issuer.pem`;
export const issuerSecretPath = (cluster: string): string => `${cluster}/identity-issuer.sops.yaml`;
export const linkFilePath = (to: string, from: string): string => `links/${to}/link-${from}.yaml`;
export const credentialsPath = (to: string, from: string, ns: string): string =>
  `links/${to}/cluster-credentials-${from}${ns === LINKERD_NAMESPACE ? '.linkerd' : ''}.sops.yaml`;
export const CREDENTIAL_NAMESPACES = [MULTICLUSTER_NAMESPACE, LINKERD_NAMESPACE] as const;

export const ISSUER_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`); synth copies it into dist/ unchanged. Rotate with `npm run pki -- rotate <cluster>`.\n';
export const CREDENTIALS_HEADER = '# SOPS-encrypted by meshfleet (`npm run link`); synth places it in the linking cluster. Refresh with `npm run link`.\n';
export const LINK_FILE_HEADER = '# Written by meshfleet (`npm run link`) from the live target cluster; synth places it in the linking cluster. Refresh with `npm run link`.\n';
const ANCHOR_KEY_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`): the Linkerd trust anchor key. Only operators can decrypt it.\n';

/** What a synth needs from pki/. */
export interface LinkerdPki {
  readonly anchorPem: string;
  /** The anchors the store trusts: the anchor, and while it is being replaced the new one (pki/root-rotation.yaml). */
  readonly trust: StoreTrust;
  readonly clusters: ReadonlyMap<string, { readonly issuerPem: string; readonly issuerSecret: string }>;
  /** By `${to}/${from}`: the Link `to` uses to mirror `from`, and its encrypted credential files by file name. */
  readonly links: ReadonlyMap<string, LinkFiles>;
  /** Which remote-access token Secrets the clusters hold, and which the links use (pki/link-tokens.yaml). */
  readonly tokens: TokenState;
}

export interface LinkFiles {
  readonly link: Record<string, unknown>;
  readonly credentials: ReadonlyMap<string, string>;
  /** Who can decrypt every credential file (the intersection). */
  readonly recipients: readonly string[];
}

export const linkKey = (to: string, from: string): string => `${to}/${from}`;

/** The cluster and the operators: who may read a cluster's issuer key and the credentials it holds. */
export function clusterRecipients(fleet: Fleet, cluster: Cluster): string[] {
  return unique([cluster.ageRecipient, ...fleet.secrets.operators]);
}

export function issuerSecret(issuer: KeyPairPem, anchorPem: string): Tree {
  return withCertFingerprint({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: ISSUER_SECRET, namespace: LINKERD_NAMESPACE },
    type: 'kubernetes.io/tls',
    stringData: { 'ca.crt': anchorPem, 'tls.crt': issuer.certPem, 'tls.key': issuer.keyPem },
  }, issuer.certPem);
}

function anchorKeySecret(anchor: KeyPairPem): Tree {
  return withCertFingerprint({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'linkerd-trust-anchor', namespace: LINKERD_NAMESPACE },
    type: 'kubernetes.io/tls',
    stringData: { 'tls.crt': anchor.certPem, 'tls.key': anchor.keyPem },
  }, anchor.certPem);
}

/** One cluster's issuer, signed by the anchor and never outliving it. */
export async function issuerFiles(fleet: Fleet, cluster: Cluster, anchor: KeyPairPem, now?: Date): Promise<Map<string, string>> {
  const issuer = await createSigningCa({
    commonName: ISSUER_CN, pathLen: 0, issuer: anchor, days: linkerdOf(fleet).ca.issuerValidityDays,
    notAfterCap: new Date(new X509Certificate(anchor.certPem).validTo), ...(now ? { now } : {}),
  });
  return new Map([
    [issuerCertPath(cluster.name), issuer.certPem],
    [issuerSecretPath(cluster.name), await encryptedFile(ISSUER_HEADER, issuerSecret(issuer, anchor.certPem), clusterRecipients(fleet, cluster), now)],
  ]);
}

export async function createLinkerdPki(fleet: Fleet, now?: Date): Promise<Map<string, string>> {
  const anchor = await createSigningCa({ commonName: ANCHOR_CN, pathLen: 1, days: linkerdOf(fleet).ca.anchorValidityDays, ...(now ? { now } : {}) });
  const files = new Map<string, string>([
    [ANCHOR_CERT, anchor.certPem],
    [ANCHOR_KEY, await encryptedFile(ANCHOR_KEY_HEADER, anchorKeySecret(anchor), fleet.secrets.operators, now)],
  ]);
  for (const m of await Promise.all(fleet.clusters.map((c) => issuerFiles(fleet, c, anchor, now)))) for (const [k, v] of m) files.set(k, v);
  return files;
}

const signedBy = (cert: X509Certificate, anchor: X509Certificate): boolean => cert.checkIssued(anchor) && cert.verify(anchor.publicKey);

export function readLinkerdPki(read: FileReader, fleet: Fleet, pkiLabel: string): LinkerdPki {
  const anchorPem = read(ANCHOR_CERT);
  if (anchorPem === undefined) {
    throw new UsageError(`${pkiLabel}/${ANCHOR_CERT} is missing, so no identity issuer can be checked. Restore it from git; a new trust anchor means re-issuing every cluster.`);
  }
  const trust = readTrust(read, linkerdRootRotation, pkiLabel, anchorPem);
  // Each anchor parsed once, not per cluster.
  const anchor = new X509Certificate(anchorPem);
  const nextAnchor = trust.nextPem === undefined ? undefined : new X509Certificate(trust.nextPem);
  const problems: string[] = [];
  const clusters = new Map<string, { issuerPem: string; issuerSecret: string }>();
  for (const c of fleet.clusters) {
    const issuerPem = read(issuerCertPath(c.name));
    const secret = read(issuerSecretPath(c.name));
    if (issuerPem === undefined || secret === undefined) {
      problems.push(`cluster ${c.name} has no identity issuer in ${pkiLabel}/${c.name}/. Issuing one needs the trust anchor key: ` +
        `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue ${c.name}\`, then synth again.`);
      continue;
    }
    const signer = signingRoot(trust, c.name);
    if (!signedBy(new X509Certificate(issuerPem), signer === anchorPem ? anchor : nextAnchor!)) {
      problems.push(`${pkiLabel}/${issuerCertPath(c.name)} is not signed by ${pkiLabel}/${signer === anchorPem ? ANCHOR_CERT : nextPath(ANCHOR_CERT)}: run \`npm run pki -- rotate ${c.name}\`.`);
    }
    const have = recipientsOf(parse(secret) as Tree);
    const want = clusterRecipients(fleet, c);
    const mismatch = recipientsMismatch(fleet, have, want);
    if (mismatch) {
      problems.push(`${pkiLabel}/${issuerSecretPath(c.name)} ${mismatch}: run \`SOPS_AGE_KEY_FILE=<operator key file> npm run synth\` to re-encrypt it.`);
    }
    clusters.set(c.name, { issuerPem, issuerSecret: secret });
  }
  if (problems.length > 0) throw new UsageError(`${pkiLabel} does not match fleet.yaml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const links = new Map<string, LinkFiles>();
  for (const to of fleet.clusters) {
    for (const from of peersOf(fleet, to)) {
      const link = read(linkFilePath(to.name, from.name));
      const credentials = new Map<string, string>();
      for (const ns of CREDENTIAL_NAMESPACES) {
        const text = read(credentialsPath(to.name, from.name, ns));
        if (text !== undefined) credentials.set(ns, text);
      }
      if (link === undefined || credentials.size !== CREDENTIAL_NAMESPACES.length) continue;
      const sets = [...credentials.values()].map((t) => recipientsOf(parse(t) as Tree));
      links.set(linkKey(to.name, from.name), {
        link: parse(link) as Record<string, unknown>,
        credentials,
        recipients: sets[0]!.filter((r) => sets.every((s) => s.includes(r))),
      });
    }
  }
  return { anchorPem, trust, clusters, links, tokens: readTokens(read, pkiLabel) };
}

export function linkerdPkiStatus(fleet: Fleet, pkiDir: string, now = new Date()): StatusRow[] {
  const read = fileReader(pkiDir);
  const anchorPem = read(ANCHOR_CERT);
  const anchors = statusRoots(read, linkerdRootRotation, displayPath(pkiDir));
  const rows = rootRows(ANCHOR_CERT, anchorPem, anchors, now);
  for (const c of fleet.clusters) {
    const pem = read(issuerCertPath(c.name));
    rows.push(certRow(issuerCertPath(c.name), pem, () => !!pem && anchors.some((a) => chainsTo(pem, a, true)), now));
  }
  return rows;
}

async function anchorKeyPair(pkiDir: string, identities: readonly string[] = operatorIdentities(), keyPath = ANCHOR_KEY): Promise<KeyPairPem> {
  const text = fileReader(pkiDir)(keyPath);
  if (!text) throw new UsageError(`${pkiDir}/${keyPath} is missing: without the trust anchor key no cluster can be issued`);
  const data = (await decryptObject(parse(text) as Tree, identities, `${displayPath(pkiDir)}/${keyPath}`)).stringData as Record<string, string>;
  return { certPem: data['tls.crt']!, keyPem: data['tls.key']! };
}

function clusterNamed(fleet: Fleet, name: string): Cluster {
  const cluster = fleet.clusters.find((c) => c.name === name);
  if (!cluster) throw new UsageError(`no cluster named ${JSON.stringify(name)} in fleet.yaml (clusters: ${fleet.clusters.map((c) => c.name).join(', ')})`);
  return cluster;
}

export async function issueLinkerdIssuer(fleet: Fleet, pkiDir: string, name: string, replace: boolean): Promise<string> {
  const cluster = clusterNamed(fleet, name);
  const exists = existsSync(`${pkiDir}/${issuerSecretPath(cluster.name)}`);
  if (exists && !replace) throw new UsageError(`cluster ${cluster.name} already has an identity issuer; use \`npm run pki -- rotate ${cluster.name}\` to replace it`);
  if (!exists && replace) throw new UsageError(`cluster ${cluster.name} has no identity issuer yet; use \`npm run pki -- issue ${cluster.name}\``);
  // During a rotation a cluster already re-issued under the new anchor stays under it.
  const read = fileReader(pkiDir);
  const trust = readTrust(read, linkerdRootRotation, displayPath(pkiDir), read(ANCHOR_CERT) ?? '');
  commitPkiChanges(pkiDir, await issuerFiles(fleet, cluster, await anchorKeyPair(pkiDir, undefined, signingKeyPath(trust, cluster.name, ANCHOR_KEY))));
  return `${replace ? 'rotated' : 'issued'} the identity issuer of ${cluster.name}; run \`npm run synth\` and commit pki/ and dist/. ` +
    'The identity controller reloads linkerd-identity-issuer when the Secret changes; proxies keep working because the trust anchor is the same.';
}

export async function rekeyLinkerdPki(fleet: Fleet, pkiDir: string): Promise<string> {
  const identities = operatorIdentities();
  const read = fileReader(pkiDir);
  const files = new Map<string, string>();
  const again = async (path: string, header: string, recipients: readonly string[], certField?: string): Promise<void> => {
    const text = read(path);
    if (text === undefined) return;
    const plain = await decryptObject(parse(text) as Tree, identities, `${displayPath(pkiDir)}/${path}`);
    // A store written before meshfleet recorded certificate fingerprints gets them now.
    const cert = certField ? (plain.stringData as Record<string, string> | undefined)?.[certField] : undefined;
    files.set(path, await encryptedFile(header, cert ? withCertFingerprint(plain, cert) : plain, recipients));
  };
  const anchor = await anchorKeyPair(pkiDir, identities);
  files.set(ANCHOR_KEY, await encryptedFile(ANCHOR_KEY_HEADER, anchorKeySecret(anchor), fleet.secrets.operators));
  if (read(nextPath(ANCHOR_KEY)) !== undefined) {
    files.set(nextPath(ANCHOR_KEY), await encryptedFile(ANCHOR_KEY_HEADER, anchorKeySecret(await anchorKeyPair(pkiDir, identities, nextPath(ANCHOR_KEY))), fleet.secrets.operators));
  }
  for (const to of fleet.clusters) {
    await again(issuerSecretPath(to.name), ISSUER_HEADER, clusterRecipients(fleet, to), 'tls.crt');
    for (const from of peersOf(fleet, to)) {
      for (const ns of CREDENTIAL_NAMESPACES) await again(credentialsPath(to.name, from.name, ns), CREDENTIALS_HEADER, clusterRecipients(fleet, to));
    }
  }
  commitPkiChanges(pkiDir, files);
  return `re-encrypted ${files.size} file(s) in ${pkiDir} to the recipients in fleet.yaml; run \`npm run synth\` and commit.`;
}

export function linkerdSopsRules(fleet: Fleet, pkiDir: string, distDir: string): SopsRule[] {
  const pki = pathPrefix(pkiDir);
  const dist = pathPrefix(distDir);
  const rules: SopsRule[] = [{ pathRegex: `${pki}trust-anchor-key(\\.next)?\\.sops\\.yaml$`, recipients: fleet.secrets.operators }];
  for (const c of fleet.clusters) {
    const name = escapeRegex(c.name);
    rules.push({ pathRegex: `${pki}${name}/.*\\.sops\\.yaml$`, recipients: clusterRecipients(fleet, c) });
    rules.push({ pathRegex: `${pki}links/${name}/.*\\.sops\\.yaml$`, recipients: clusterRecipients(fleet, c) });
    rules.push({ pathRegex: `${dist}manifests/${name}/.*\\.yaml$`, recipients: clusterRecipients(fleet, c) });
  }
  return rules;
}

/** Every certificate with the encrypted Secret that holds its key. */
export function linkerdKeyPairs(fleet: Fleet, read?: FileReader): KeyPairFiles[] {
  return [
    { cert: ANCHOR_CERT, secret: ANCHOR_KEY, certField: 'tls.crt', keyField: 'tls.key',
      repair: `restore ${ANCHOR_CERT} and ${ANCHOR_KEY} of the CA store from one commit (\`git checkout <commit> -- <pki>/${ANCHOR_CERT} <pki>/${ANCHOR_KEY}\`); a new trust anchor means re-issuing every cluster` },
    // the new anchor of an open rotation
    ...(read?.(nextPath(ANCHOR_CERT)) !== undefined ? [{ cert: nextPath(ANCHOR_CERT), secret: nextPath(ANCHOR_KEY), certField: 'tls.crt', keyField: 'tls.key',
      repair: `restore the CA store from the commit of the last \`rotate-root\` phase (\`git checkout <commit> -- <pki>\`)` }] : []),
    ...fleet.clusters.map((c) => ({
      cert: issuerCertPath(c.name), secret: issuerSecretPath(c.name), certField: 'tls.crt', keyField: 'tls.key',
      repair: `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate ${c.name}\``,
    })),
  ];
}

/**
 * Replacing the trust anchor (Linkerd's "manually rotating the trust anchor", for every cluster at
 * once): both anchors in every cluster's identityTrustAnchorsPEM, then each identity issuer
 * re-issued under the new anchor, then the old anchor out of the bundle. A Link carries no trust
 * of its own (its gatewayIdentity is a name the local anchors verify), so the links need no change.
 */
export const linkerdRootRotation: Omit<RootRotation, 'waitSteps'> = {
  rootCert: ANCHOR_CERT,
  rootKey: ANCHOR_KEY,
  rootName: 'trust anchor',
  certName: 'identity issuer',
  async newRoot(fleet) {
    const anchor = await createSigningCa({ commonName: ANCHOR_CN, pathLen: 1, days: linkerdOf(fleet).ca.anchorValidityDays });
    return { certPem: anchor.certPem, keyFile: await encryptedFile(ANCHOR_KEY_HEADER, anchorKeySecret(anchor), fleet.secrets.operators) };
  },
  rootPair: (pkiDir, keyPath) => anchorKeyPair(pkiDir, undefined, keyPath),
  // The bundle is in the control plane's values (controlPlaneValues); only a re-issued issuer is a file.
  clusterFiles: async (fleet, _pkiDir, cluster, _bundle, signer) => (signer ? issuerFiles(fleet, cluster, signer) : new Map()),
  signerOf: (read, cluster) => read(issuerCertPath(cluster)),
  delivered(objects, releases) {
    const release = releases.find((r) => r.chart === 'linkerd-control-plane');
    const pem = release?.values.identityTrustAnchorsPEM;
    const issuer = objects.find((o) => o.kind === 'Secret' && (o.metadata as { name?: string } | undefined)?.name === ISSUER_SECRET);
    const signer = ((issuer?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[CERT_SHA256_ANNOTATION];
    if (typeof pem !== 'string') return undefined;
    return { trusts: pemBlocks(pem).map(certFingerprint), ...(signer ? { signer } : {}) };
  },
};

export const linkerdCa: Omit<CaProfile<LinkerdPki>, 'clustersOf' | 'revocationSteps'> = {
  create: (fleet) => createLinkerdPki(fleet),
  read: readLinkerdPki,
  issue: issueLinkerdIssuer,
  rekey: rekeyLinkerdPki,
  status: (fleet, pkiDir, now) => linkerdPkiStatus(fleet, pkiDir, now),
  sopsRules: linkerdSopsRules,
  keyPairs: linkerdKeyPairs,
  files: (fleet) => [{ path: ANCHOR_CERT }, { path: ANCHOR_KEY },
    ...fleet.clusters.flatMap((c) => [issuerCertPath(c.name), issuerSecretPath(c.name)].map((path): StoreFile => ({ path, cluster: c.name })))],
};
