/**
 * Istio's CA store, pki/ beside fleet.yaml:
 *
 *   root-cert.pem                  the shared Istio root (public)
 *   root-key.sops.yaml             its key, SOPS-encrypted to the operators
 *   <cluster>/ca-cert.pem          the cluster's intermediate (public)
 *   <cluster>/cert-chain.pem       intermediate + root (public)
 *   <cluster>/cacerts.sops.yaml    Secret istio-system/cacerts, SOPS-encrypted to the cluster and the operators;
 *                                  synth copies it into the cluster's mesh-prereqs stage byte for byte
 *   links/<cluster>.sops.yaml      Secret istio-remote-secret-<cluster> (written by `npm run link`),
 *                                  encrypted to every other primary (the istiods that watch it) and the operators
 *
 * Randomness (keys, data keys, nonces) happens only when these files are made; a synth only reads
 * them, so its output is byte-stable. Everything that reads the store checks it against fleet.yaml
 * first and says which command repairs a mismatch. `pki issue|rotate|rekey` need the root key, so
 * they read the operator's identity (SOPS_AGE_KEY_FILE).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { UsageError } from '../../errors';
import type { Cluster, Fleet } from '../../fleet/types';
import { createIntermediate, createRoot, type KeyPairPem } from '../../pki/certs';
import { CERT_SHA256_ANNOTATION, encryptedFile, fileReader, readCert, readSopsFile, TRUST_SHA256_ANNOTATION, unique, withCertFingerprint, withTrustFingerprints } from '../../pki/files';
import { readTokens, type TokenState } from '../../pki/tokens';
import { bundleOf, chainsTo, nextPath, readTrust, signingKeyPath, signingRoot, statusRoots } from '../../pki/rotation';
import { certRow, rootRows } from '../../pki/status';
import { commitPkiChanges } from '../../pki/transaction';
import { pathPrefix, escapeRegex } from '../../sops/config';
import { operatorIdentities } from '../../sops/identity';
import { recipientsMismatch } from '../../format/recipients';
import { decryptObject, recipientsOf, type Tree } from '../../sops/sops';
import type { CaProfile, RootRotation } from '../../contracts/mesh';
import { isRemote, istioOf, watchersOf } from './defaults';
import { ISTIO_NAMESPACE } from './values';
import { displayPath } from '../../format/paths';
import type { FileReader, StoreFile } from '../../contracts/store';
import type { KeyPair, KeyPairFiles, StatusRow, StoreTrust } from '../../contracts/store';
import type { SopsRule } from '../../contracts/store';

export const ROOT_CERT = 'root-cert.pem';
export const ROOT_KEY = 'root-key.sops.yaml';
export const caCertPath = (cluster: string): string => `${cluster}/ca-cert.pem`;
export const chainPath = (cluster: string): string => `${cluster}/cert-chain.pem`;
export const cacertsPath = (cluster: string): string => `${cluster}/cacerts.sops.yaml`;
export const linkPath = (cluster: string): string => `links/${cluster}.sops.yaml`;

export const CACERTS_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`); synth copies it into dist/ unchanged. Rotate with `npm run pki -- rotate <cluster>`.\n';
export const LINK_HEADER = '# SOPS-encrypted by meshfleet (`npm run link`); synth places it in every other cluster. Refresh with `npm run link`.\n';
const ROOT_KEY_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`): the Istio root CA key. Only operators can decrypt it.\n';

/** What a synth needs from pki/: public certs and the encrypted files it copies. */
export interface IstioPki {
  readonly rootCertPem: string;
  /** The roots the store trusts: the root, and while it is being replaced the new one (pki/root-rotation.yaml). */
  readonly trust: StoreTrust;
  readonly clusters: ReadonlyMap<string, { certPem: string; cacerts: string }>;
  /** links/<cluster>.sops.yaml content and who can decrypt it, for the clusters that have one. */
  readonly links: ReadonlyMap<string, { content: string; recipients: readonly string[] }>;
  /** Which reader token Secrets the clusters hold, and which the links use (pki/link-tokens.yaml). */
  readonly tokens: TokenState;
}

export function cacertsRecipients(fleet: Fleet, cluster: Cluster): string[] {
  return unique([cluster.ageRecipient, ...fleet.secrets.operators]);
}

/** A cluster's remote secret is for the istiods that watch it: every other primary. */
export function linkRecipients(fleet: Fleet, cluster: Cluster): string[] {
  return unique([...watchersOf(fleet, cluster).map((c) => c.ageRecipient), ...fleet.secrets.operators]);
}

/**
 * Secret istio-system/cacerts: `bundle` is every root the cluster trusts, the one that signed the
 * intermediate first (the chain ends there); more than one while the root is being replaced.
 */
export function cacertsSecret(intermediate: KeyPair, bundle: readonly string[]): Tree {
  const rootCertPem = bundle.join('');
  return withTrustFingerprints(withCertFingerprint({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cacerts', namespace: ISTIO_NAMESPACE },
    type: 'Opaque',
    stringData: {
      'ca-cert.pem': intermediate.certPem,
      'ca-key.pem': intermediate.keyPem,
      'root-cert.pem': rootCertPem,
      'cert-chain.pem': intermediate.certPem + bundle[0]!,
    },
  }, intermediate.certPem), bundle);
}

/** The files of one cluster's intermediate CA, signed by `root`, trusting `bundle` (root first). */
export async function issueFiles(fleet: Fleet, cluster: Cluster, root: KeyPairPem, now?: Date, bundle: readonly string[] = [root.certPem]): Promise<Map<string, string>> {
  const ca = istioOf(fleet).ca;
  const intermediate = await createIntermediate(cluster.name, root, { keyType: ca.keyType, days: ca.intermediateValidityDays, ...(now ? { now } : {}) });
  return new Map([
    [caCertPath(cluster.name), intermediate.certPem],
    [chainPath(cluster.name), intermediate.certPem + root.certPem],
    [cacertsPath(cluster.name), await encryptedFile(CACERTS_HEADER, cacertsSecret(intermediate, bundle), cacertsRecipients(fleet, cluster), now)],
  ]);
}

export function rootKeySecret(root: KeyPairPem): Tree {
  return withCertFingerprint({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'istio-root-ca', namespace: ISTIO_NAMESPACE },
    type: 'Opaque',
    stringData: { 'root-cert.pem': root.certPem, 'root-key.pem': root.keyPem },
  }, root.certPem);
}

export async function rootKeyFile(fleet: Fleet, root: KeyPairPem, now?: Date): Promise<string> {
  return encryptedFile(ROOT_KEY_HEADER, rootKeySecret(root), fleet.secrets.operators, now);
}

/** A whole new store: one root and an intermediate per cluster, keys generated concurrently. */
export async function createIstioPki(fleet: Fleet, now?: Date): Promise<Map<string, string>> {
  const ca = istioOf(fleet).ca;
  const root = await createRoot({ keyType: ca.keyType, days: ca.rootValidityDays, ...(now ? { now } : {}) });
  const files = new Map<string, string>([[ROOT_CERT, root.certPem], [ROOT_KEY, await rootKeyFile(fleet, root, now)]]);
  const perCluster = await Promise.all(fleet.clusters.map((c) => issueFiles(fleet, c, root, now)));
  for (const m of perCluster) for (const [k, v] of m) files.set(k, v);
  return files;
}

/** Reads and checks the store for a synth: every cluster issued, recipients current, chains valid. */
export function readIstioPki(read: FileReader, fleet: Fleet, pkiLabel: string): IstioPki {
  const problems: string[] = [];
  const rootCertPem = read(ROOT_CERT);
  if (rootCertPem === undefined) {
    throw new UsageError(`${pkiLabel}/${ROOT_CERT} is missing, so no cluster certificate can be checked. Restore it from git; a new root means re-issuing every cluster.`);
  }
  // Each root parsed once, not per cluster (a synth of 100 clusters reads them all).
  const rootCert = readCert(rootCertPem, `${pkiLabel}/${ROOT_CERT}`);
  const trust = readTrust(read, istioRootRotation, pkiLabel, rootCertPem);
  const nextCert = trust.nextPem === undefined ? undefined : readCert(trust.nextPem, `${pkiLabel}/${nextPath(ROOT_CERT)}`);
  const clusters = new Map<string, { certPem: string; cacerts: string }>();
  for (const c of fleet.clusters) {
    const certPem = read(caCertPath(c.name));
    const cacerts = read(cacertsPath(c.name));
    if (certPem === undefined || cacerts === undefined) {
      problems.push(`cluster ${c.name} has no intermediate CA in ${pkiLabel}/${c.name}/. Issuing one needs the root key: ` +
        `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue ${c.name}\`, then synth again.`);
      continue;
    }
    const cert = readCert(certPem, `${pkiLabel}/${caCertPath(c.name)}`);
    const signer = signingRoot(trust, c.name);
    const signerFile = signer === rootCertPem ? ROOT_CERT : nextPath(ROOT_CERT);
    const signerCert = signer === rootCertPem ? rootCert : nextCert!;
    if (!cert.checkIssued(signerCert) || !cert.verify(signerCert.publicKey)) {
      problems.push(`${pkiLabel}/${caCertPath(c.name)} is not signed by ${pkiLabel}/${signerFile}: run \`npm run pki -- rotate ${c.name}\`.`);
    }
    const chain = read(chainPath(c.name));
    if (chain !== undefined && chain !== certPem + signer) {
      problems.push(`${pkiLabel}/${chainPath(c.name)} is not ${pkiLabel}/${caCertPath(c.name)} followed by ${pkiLabel}/${signerFile}, as meshfleet writes it: ` +
        `restore it from git (\`git checkout -- ${pkiLabel}/${chainPath(c.name)}\`).`);
    }
    const have = recipientsOf(readSopsFile(cacerts, `${pkiLabel}/${cacertsPath(c.name)}`));
    const want = cacertsRecipients(fleet, c);
    const mismatch = recipientsMismatch(fleet, have, want);
    if (mismatch) {
      problems.push(`${pkiLabel}/${cacertsPath(c.name)} ${mismatch}: run \`SOPS_AGE_KEY_FILE=<operator key file> npm run synth\` to re-encrypt it.`);
    }
    clusters.set(c.name, { certPem, cacerts });
  }
  if (problems.length > 0) throw new UsageError(`${pkiLabel} does not match fleet.yaml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const links = new Map<string, { content: string; recipients: string[] }>();
  for (const c of fleet.clusters) {
    const content = read(linkPath(c.name));
    if (content !== undefined) links.set(c.name, { content, recipients: recipientsOf(readSopsFile(content, `${pkiLabel}/${linkPath(c.name)}`)) });
  }
  return { rootCertPem, trust, clusters, links, tokens: readTokens(read, pkiLabel) };
}

/** One row per certificate: the root and every cluster's intermediate (missing ones too). */
export function istioPkiStatus(fleet: Fleet, pkiDir: string, now = new Date()): StatusRow[] {
  const read = fileReader(pkiDir);
  const rootPem = read(ROOT_CERT);
  if (rootPem) readCert(rootPem, `${pkiDir}/${ROOT_CERT}`); // unreadable: the error names the file and the repair
  const roots = statusRoots(read, istioRootRotation, displayPath(pkiDir));
  const rows = rootRows(ROOT_CERT, rootPem, roots, now);
  for (const c of fleet.clusters) {
    const pem = read(caCertPath(c.name));
    rows.push(certRow(caCertPath(c.name), pem, () => !!pem && roots.some((r) => chainsTo(pem, r)), now));
  }
  return rows;
}

async function rootKeyPair(pkiDir: string, identities: readonly string[] = operatorIdentities(), keyPath = ROOT_KEY): Promise<KeyPairPem> {
  const text = fileReader(pkiDir)(keyPath);
  if (!text) throw new UsageError(`${pkiDir}/${keyPath} is missing: without the root key no cluster can be issued`);
  const plain = await decryptObject(readSopsFile(text, `${pkiDir}/${keyPath}`), identities, `${displayPath(pkiDir)}/${keyPath}`);
  const data = plain.stringData as Record<string, string>;
  return { certPem: data['root-cert.pem']!, keyPem: data['root-key.pem']! };
}

function clusterNamed(fleet: Fleet, name: string): Cluster {
  const cluster = fleet.clusters.find((c) => c.name === name);
  if (!cluster) throw new UsageError(`no cluster named ${JSON.stringify(name)} in fleet.yaml (clusters: ${fleet.clusters.map((c) => c.name).join(', ')})`);
  return cluster;
}

/** issue: a first intermediate for a cluster that has none; rotate: a new one in its place. */
export async function issueIntermediate(fleet: Fleet, pkiDir: string, name: string, replace: boolean): Promise<string> {
  const cluster = clusterNamed(fleet, name);
  const exists = existsSync(`${pkiDir}/${cacertsPath(cluster.name)}`);
  if (exists && !replace) throw new UsageError(`cluster ${cluster.name} already has an intermediate CA; use \`npm run pki -- rotate ${cluster.name}\` to replace it`);
  if (!exists && replace) throw new UsageError(`cluster ${cluster.name} has no intermediate CA yet; use \`npm run pki -- issue ${cluster.name}\``);
  // During a root rotation a cluster already re-issued under the new root stays under it, trusting both.
  const read = fileReader(pkiDir);
  const trust = readTrust(read, istioRootRotation, displayPath(pkiDir), read(ROOT_CERT) ?? '');
  const root = await rootKeyPair(pkiDir, undefined, signingKeyPath(trust, cluster.name, ROOT_KEY));
  commitPkiChanges(pkiDir, await issueFiles(fleet, cluster, root, undefined, bundleOf(trust, cluster.name)));
  return `${replace ? 'rotated' : 'issued'} the intermediate CA of ${cluster.name}; run \`npm run synth\` and commit pki/ and dist/. ` +
    'istiod picks up a new intermediate with the same root without a restart.';
}

/** Re-encrypts every encrypted file in pki/ to the recipients fleet.yaml names now. */
export async function rekeyIstioPki(fleet: Fleet, pkiDir: string): Promise<string> {
  const identities = operatorIdentities();
  const read = fileReader(pkiDir);
  const files = new Map<string, string>();
  const again = async (path: string, header: string, recipients: readonly string[], certField?: string): Promise<void> => {
    const text = read(path);
    if (text === undefined) return;
    const plain = await decryptObject(readSopsFile(text, `${pkiDir}/${path}`), identities, `${displayPath(pkiDir)}/${path}`);
    // A store written before meshfleet recorded certificate fingerprints gets them now.
    const cert = certField ? (plain.stringData as Record<string, string> | undefined)?.[certField] : undefined;
    files.set(path, await encryptedFile(header, cert ? withCertFingerprint(plain, cert) : plain, recipients));
  };
  const root = await rootKeyPair(pkiDir, identities);
  files.set(ROOT_KEY, await rootKeyFile(fleet, root));
  if (read(nextPath(ROOT_KEY)) !== undefined) files.set(nextPath(ROOT_KEY), await rootKeyFile(fleet, await rootKeyPair(pkiDir, identities, nextPath(ROOT_KEY))));
  for (const c of fleet.clusters) {
    await again(cacertsPath(c.name), CACERTS_HEADER, cacertsRecipients(fleet, c), 'ca-cert.pem');
    await again(linkPath(c.name), LINK_HEADER, linkRecipients(fleet, c));
  }
  commitPkiChanges(pkiDir, files);
  return `re-encrypted ${files.size} file(s) in ${pkiDir} to the recipients in fleet.yaml; run \`npm run synth\` and commit.`;
}

/** Every encrypted file of the store and of dist/, with its recipients. */
export function istioSopsRules(fleet: Fleet, pkiDir: string, distDir: string): SopsRule[] {
  const pki = pathPrefix(pkiDir);
  const dist = pathPrefix(distDir);
  const rules: SopsRule[] = [{ pathRegex: `${pki}root-key(\\.next)?\\.sops\\.yaml$`, recipients: fleet.secrets.operators }];
  for (const c of fleet.clusters) {
    const name = escapeRegex(c.name);
    rules.push({ pathRegex: `${pki}${name}/.*\\.sops\\.yaml$`, recipients: cacertsRecipients(fleet, c) });
    rules.push({ pathRegex: `${pki}links/${name}\\.sops\\.yaml$`, recipients: linkRecipients(fleet, c) });
    rules.push({ pathRegex: `${dist}manifests/${name}/.*\\.yaml$`, recipients: cacertsRecipients(fleet, c) });
  }
  return rules;
}

/** Every certificate with the encrypted Secret that holds its key. */
export function istioKeyPairs(fleet: Fleet, read?: FileReader): KeyPairFiles[] {
  return [
    { cert: ROOT_CERT, secret: ROOT_KEY, certField: 'root-cert.pem', keyField: 'root-key.pem',
      repair: `restore ${ROOT_CERT} and ${ROOT_KEY} of the CA store from one commit (\`git checkout <commit> -- <pki>/${ROOT_CERT} <pki>/${ROOT_KEY}\`); a new root means re-issuing every cluster` },
    // the new root of an open rotation
    ...(read?.(nextPath(ROOT_CERT)) !== undefined ? [{ cert: nextPath(ROOT_CERT), secret: nextPath(ROOT_KEY), certField: 'root-cert.pem', keyField: 'root-key.pem',
      repair: `restore the CA store from the commit of the last \`rotate-root\` phase (\`git checkout <commit> -- <pki>\`)` }] : []),
    ...fleet.clusters.map((c) => ({
      cert: caCertPath(c.name), secret: cacertsPath(c.name), certField: 'ca-cert.pem', keyField: 'ca-key.pem',
      repair: `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate ${c.name}\``,
    })),
  ];
}

/** Every file the store implies: the root pair, and per cluster its intermediate, chain and cacerts. */
export function istioFiles(fleet: Fleet): StoreFile[] {
  return [{ path: ROOT_CERT }, { path: ROOT_KEY },
    ...fleet.clusters.flatMap((c) => [caCertPath(c.name), chainPath(c.name), cacertsPath(c.name)].map((path) => ({ path, cluster: c.name })))];
}

/**
 * Intermediates whose subject names another cluster than their folder (`L=<cluster>`, as
 * lib/pki/certs.ts writes it): a folder swapped with or copied from another cluster's.
 */
export function istioMisplaced(fleet: Fleet, read: FileReader, label: string): string[] {
  const lines: string[] = [];
  for (const c of fleet.clusters) {
    const pem = read(caCertPath(c.name));
    if (pem === undefined) continue;
    let subject: string;
    try {
      subject = new X509Certificate(pem).subject;
    } catch {
      continue; // not a certificate: the store's reader names the file
    }
    const owner = subject.split('\n').find((l) => l.startsWith('L='))?.slice(2);
    if (owner === undefined || owner === c.name) continue;
    const peer = fleet.clusters.some((o) => o.name === owner);
    lines.push(`${label}/${caCertPath(c.name)} is cluster ${owner}'s intermediate (subject ${subject.split('\n').join(', ')}), not ${c.name}'s: ` +
      `${label}/${c.name}/ holds the files of ${peer ? `${label}/${owner}/` : `cluster ${owner}, which is not in fleet.yaml`} (swapped or copied folders). ` +
      `Restore from git (\`git checkout -- ${label}/${c.name}${peer ? ` ${label}/${owner}` : ''}\`); ` +
      `if ${c.name}'s own files are lost, delete ${label}/${c.name}/ and run \`npm run pki -- issue ${c.name}\``);
  }
  return lines;
}

/**
 * Replacing the Istio root (upstream's plug-in CA multi-root procedure): while both roots are in
 * every cacerts' root-cert.pem, istiod runs with ISTIO_MULTIROOT_MESH and the proxies with
 * PROXY_CONFIG_XDS_AGENT (values.ts multiRootValues), so every proxy trusts both and picks up the
 * bundle without a restart. The steps per phase are in dist/README (readme.ts).
 */
export const istioRootRotation: Omit<RootRotation, 'waitSteps'> = {
  rootCert: ROOT_CERT,
  rootKey: ROOT_KEY,
  rootName: 'Istio root',
  certName: 'intermediate',
  async newRoot(fleet) {
    const ca = istioOf(fleet).ca;
    const root = await createRoot({ keyType: ca.keyType, days: ca.rootValidityDays });
    return { certPem: root.certPem, keyFile: await rootKeyFile(fleet, root) };
  },
  rootPair: (pkiDir, keyPath) => rootKeyPair(pkiDir, undefined, keyPath),
  async clusterFiles(fleet, pkiDir, cluster, bundle, signer) {
    if (signer) return issueFiles(fleet, cluster, signer, undefined, bundle);
    // The intermediate stays: its cacerts gets the new bundle (the chain still ends at bundle[0], its root).
    const text = fileReader(pkiDir)(cacertsPath(cluster.name));
    if (text === undefined) return new Map();
    const label = `${displayPath(pkiDir)}/${cacertsPath(cluster.name)}`;
    const data = (await decryptObject(readSopsFile(text, label), operatorIdentities(), label)).stringData as Record<string, string>;
    const intermediate = { certPem: data['ca-cert.pem']!, keyPem: data['ca-key.pem']! };
    return new Map([[cacertsPath(cluster.name), await encryptedFile(CACERTS_HEADER, cacertsSecret(intermediate, bundle), cacertsRecipients(fleet, cluster))]]);
  },
  // A remote runs no istiod: its proxies are signed by, and trust what they get from, their primary's.
  holdsTrust: (_fleet, cluster) => !isRemote(cluster),
  signerOf: (read, cluster) => read(caCertPath(cluster)),
  delivered(objects) {
    const secret = objects.find((o) => o.kind === 'Secret' && (o.metadata as { name?: string } | undefined)?.name === 'cacerts');
    if (!secret) return undefined;
    const annotations = (secret.metadata as { annotations?: Record<string, string> }).annotations ?? {};
    const trusts = annotations[TRUST_SHA256_ANNOTATION]?.split(',');
    return { ...(trusts ? { trusts } : {}), ...(annotations[CERT_SHA256_ANNOTATION] ? { signer: annotations[CERT_SHA256_ANNOTATION] } : {}) };
  },
};

export const istioCa: Omit<CaProfile<IstioPki>, 'clustersOf' | 'revocationSteps'> = {
  files: istioFiles,
  misplaced: istioMisplaced,
  create: (fleet) => createIstioPki(fleet),
  read: readIstioPki,
  issue: issueIntermediate,
  rekey: rekeyIstioPki,
  status: (fleet, pkiDir, now) => istioPkiStatus(fleet, pkiDir, now),
  sopsRules: istioSopsRules,
  keyPairs: istioKeyPairs,
};
