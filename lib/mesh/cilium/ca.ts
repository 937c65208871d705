/**
 * The fleet's Cilium CA, pki/ beside fleet.yaml: one CA for every cluster, so each cluster's
 * certgen signs clustermesh-apiserver and client certificates every other cluster trusts (with
 * mismatched CAs every clustermesh.config.clusters entry would need its own client certificate).
 *
 *   cilium-ca.pem                  the CA certificate (public)
 *   cilium-ca-key.sops.yaml        CA certificate and key, SOPS-encrypted to the operators only
 *   <cluster>/cilium-ca.sops.yaml  Secret kube-system/cilium-ca (ca.crt, ca.key), SOPS-encrypted to
 *                                  the cluster and the operators; synth copies it into the cluster's
 *                                  `infrastructure` stage byte for byte
 *
 * Keys are made only here (never at synth); a synth only reads these files, so its output is
 * byte-stable, and the CA key never appears in Helm values or anywhere in the clear.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../../errors';
import type { Cluster, Fleet } from '../../fleet/types';
import { createRoot, type KeyPairPem } from '../../pki/certs';
import { CERT_SHA256_ANNOTATION, certFingerprint, encryptedFile, fileReader, unique, withCertFingerprint } from '../../pki/files';
import { nextPath, readRotation, readTrust, rootsOf, statusRoots } from '../../pki/rotation';
import { pemBlocks } from '../../format/pem';
import { minorOf } from '../../format/semver';
import { rootRows } from '../../pki/status';
import { commitPkiChanges } from '../../pki/transaction';
import { escapeRegex, pathPrefix } from '../../sops/config';
import { operatorIdentities } from '../../sops/identity';
import { recipientsMismatch } from '../../format/recipients';
import { decryptObject, recipientsOf, type Tree } from '../../sops/sops';
import type { CaProfile, RootRotation } from '../../contracts/mesh';
import { ciliumOf } from './defaults';
import { CILIUM_CA_SECRET, CILIUM_NAMESPACE } from './values';
import { displayPath } from '../../format/paths';
import type { FileReader, StoreFile } from '../../contracts/store';
import type { KeyPairFiles, RotationState, StatusRow, StoreTrust } from '../../contracts/store';
import type { SopsRule } from '../../contracts/store';

export const CA_CERT = 'cilium-ca.pem';
export const CA_KEY = 'cilium-ca-key.sops.yaml';
export const clusterCaPath = (cluster: string): string => `${cluster}/cilium-ca.sops.yaml`;
/** The name certgen gives the CA it would generate (--ca-common-name), kept for recognisability. */
export const CA_SUBJECT = [['CN', 'Cilium CA']] as const;

const CLUSTER_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`): the fleet\'s Cilium CA for one cluster; synth copies it into dist/ unchanged.\n';
const KEY_HEADER = '# SOPS-encrypted by meshfleet (`npm run pki`): the fleet\'s Cilium CA key. Only operators can decrypt it.\n';

/** What a synth needs from pki/: the CA certificate and every cluster's encrypted Secret. */
export interface CiliumPki {
  readonly caCertPem: string;
  /** The CAs the store trusts: the CA, and while it is being replaced the new one (pki/root-rotation.yaml). */
  readonly trust: StoreTrust;
  readonly clusters: ReadonlyMap<string, string>;
}

export const clusterRecipients = (fleet: Fleet, cluster: Cluster): string[] => unique([cluster.ageRecipient, ...fleet.secrets.operators]);

/** Secret kube-system/cilium-ca as the chart's certgen reads it (--ca-reuse-secret). */
export function caSecret(ca: KeyPairPem): Tree {
  return withCertFingerprint({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: CILIUM_CA_SECRET, namespace: CILIUM_NAMESPACE },
    type: 'Opaque',
    stringData: { 'ca.crt': ca.certPem, 'ca.key': ca.keyPem },
  }, ca.certPem);
}

const clusterFile = async (fleet: Fleet, c: Cluster, ca: KeyPairPem, now?: Date): Promise<string> =>
  encryptedFile(CLUSTER_HEADER, caSecret(ca), clusterRecipients(fleet, c), now);

export async function createCiliumPki(fleet: Fleet, now?: Date): Promise<Map<string, string>> {
  const settings = ciliumOf(fleet).ca;
  const ca = await createRoot({ keyType: settings.keyType, days: settings.validityDays, ...(now ? { now } : {}) }, CA_SUBJECT);
  const files = new Map<string, string>([
    [CA_CERT, ca.certPem],
    [CA_KEY, await encryptedFile(KEY_HEADER, caSecret(ca), fleet.secrets.operators, now)],
  ]);
  for (const c of fleet.clusters) files.set(clusterCaPath(c.name), await clusterFile(fleet, c, ca, now));
  return files;
}

export function readCiliumPki(read: FileReader, fleet: Fleet, label: string): CiliumPki {
  const caCertPem = read(CA_CERT);
  if (caCertPem === undefined) {
    throw new UsageError(`${label}/${CA_CERT} is missing. Restore it from git; a new Cilium CA means new certificates on every cluster.`);
  }
  const trust = readTrust(read, ciliumRootRotation, label, caCertPem);
  const problems: string[] = [];
  const clusters = new Map<string, string>();
  for (const c of fleet.clusters) {
    const content = read(clusterCaPath(c.name));
    if (content === undefined) {
      problems.push(`cluster ${c.name} has no copy of the Cilium CA in ${label}/${c.name}/. Making one needs the CA key: ` +
        `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue ${c.name}\`, then synth again.`);
      continue;
    }
    const have = recipientsOf(parse(content) as Tree);
    const want = clusterRecipients(fleet, c);
    const mismatch = recipientsMismatch(fleet, have, want);
    if (mismatch) {
      problems.push(`${label}/${clusterCaPath(c.name)} ${mismatch}: run \`SOPS_AGE_KEY_FILE=<operator key file> npm run synth\` to re-encrypt it.`);
    }
    clusters.set(c.name, content);
  }
  if (problems.length > 0) throw new UsageError(`${label} does not match fleet.yaml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return { caCertPem, trust, clusters };
}

async function caKeyPair(pkiDir: string, identities: readonly string[] = operatorIdentities(), keyPath = CA_KEY): Promise<KeyPairPem> {
  const text = fileReader(pkiDir)(keyPath);
  if (!text) throw new UsageError(`${pkiDir}/${keyPath} is missing: without the Cilium CA key no cluster can get a copy`);
  const data = (await decryptObject(parse(text) as Tree, identities, `${displayPath(pkiDir)}/${keyPath}`)).stringData as Record<string, string>;
  return { certPem: data['ca.crt']!, keyPem: data['ca.key']! };
}

export async function issueCiliumCa(fleet: Fleet, pkiDir: string, name: string, replace: boolean): Promise<string> {
  const cluster = fleet.clusters.find((c) => c.name === name);
  if (!cluster) throw new UsageError(`no cluster named ${JSON.stringify(name)} in fleet.yaml (clusters: ${fleet.clusters.map((c) => c.name).join(', ')})`);
  if (replace) {
    throw new UsageError('the Cilium CA is one for the whole fleet: a new CA for one cluster would cut it off from the others. ' +
      'To replace it everywhere without cutting any cluster off, use `npm run pki -- rotate-root begin` (README, "Replacing the root of trust").');
  }
  if (existsSync(`${pkiDir}/${clusterCaPath(cluster.name)}`)) {
    throw new UsageError(`cluster ${cluster.name} has its copy of the Cilium CA already; \`npm run pki -- rekey\` re-encrypts it to new recipients`);
  }
  // During a rotation a new cluster starts under the new CA, trusting both.
  const read = fileReader(pkiDir);
  const trust = readTrust(read, ciliumRootRotation, displayPath(pkiDir), read(CA_CERT) ?? '');
  const ca = await caKeyPair(pkiDir, undefined, trust.nextPem ? nextPath(CA_KEY) : CA_KEY);
  commitPkiChanges(pkiDir, new Map([[clusterCaPath(cluster.name), await clusterFile(fleet, cluster, ca)]]));
  return `wrote the Cilium CA for ${cluster.name}; run \`npm run synth\` and commit pki/ and dist/.`;
}

export async function rekeyCiliumPki(fleet: Fleet, pkiDir: string): Promise<string> {
  const read = fileReader(pkiDir);
  const ca = await caKeyPair(pkiDir);
  const next = read(nextPath(CA_KEY)) !== undefined ? await caKeyPair(pkiDir, undefined, nextPath(CA_KEY)) : undefined;
  const files = new Map<string, string>([[CA_KEY, await encryptedFile(KEY_HEADER, caSecret(ca), fleet.secrets.operators)]]);
  if (next) files.set(nextPath(CA_KEY), await encryptedFile(KEY_HEADER, caSecret(next), fleet.secrets.operators));
  for (const c of fleet.clusters) {
    // each copy stays the CA it holds (during a rotation, the old or the new one)
    const text = read(clusterCaPath(c.name));
    if (text === undefined) continue;
    const held = copyFingerprint(text);
    files.set(clusterCaPath(c.name), await clusterFile(fleet, c, next && held === certFingerprint(next.certPem) ? next : ca));
  }
  commitPkiChanges(pkiDir, files);
  return `re-encrypted ${files.size} file(s) in ${pkiDir} to the recipients in fleet.yaml; run \`npm run synth\` and commit.`;
}

export function ciliumPkiStatus(_fleet: Fleet, pkiDir: string, now = new Date()): StatusRow[] {
  const read = fileReader(pkiDir);
  const pem = read(CA_CERT);
  return rootRows(CA_CERT, pem, statusRoots(read, ciliumRootRotation, displayPath(pkiDir)), now);
}

/** The fingerprint of the CA a cluster's copy holds (its plaintext annotation); undefined when unrecorded. */
function copyFingerprint(text: string): string | undefined {
  try {
    return ((parse(text) as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {})[CERT_SHA256_ANNOTATION];
  } catch {
    return undefined;
  }
}

export function ciliumSopsRules(fleet: Fleet, pkiDir: string, distDir: string): SopsRule[] {
  const pki = pathPrefix(pkiDir);
  const dist = pathPrefix(distDir);
  const rules: SopsRule[] = [{ pathRegex: `${pki}cilium-ca-key(\\.next)?\\.sops\\.yaml$`, recipients: fleet.secrets.operators }];
  for (const c of fleet.clusters) {
    const name = escapeRegex(c.name);
    rules.push({ pathRegex: `${pki}${name}/.*\\.sops\\.yaml$`, recipients: clusterRecipients(fleet, c) });
    rules.push({ pathRegex: `${dist}manifests/${name}/.*\\.yaml$`, recipients: clusterRecipients(fleet, c) });
  }
  return rules;
}

/** The CA certificate's subject and validity, for dist/README.md. */
export function caSummary(pki: CiliumPki | undefined): string {
  if (!pki) return 'not made yet';
  const cert = new X509Certificate(pki.caCertPem);
  return `\`${cert.subject.replace(/\n/g, ', ')}\`, valid until ${new Date(cert.validTo).toISOString().slice(0, 10)}`;
}

/** The CA certificate with each encrypted Secret that holds its key (the operators' copy and every cluster's). */
export function ciliumKeyPairs(fleet: Fleet, read?: FileReader): KeyPairFiles[] {
  const restore = `restore the CA store's ${CA_CERT} and its encrypted copies from one commit (\`git checkout <commit> -- <pki>\`)`;
  // During a rotation the new CA has its key beside it, and a re-issued cluster's copy holds the new CA.
  let state: RotationState | undefined;
  try {
    state = read ? readRotation(read, 'pki') : undefined;
  } catch {
    state = undefined; // the readers name a broken rotation file
  }
  return [
    { cert: CA_CERT, secret: CA_KEY, certField: 'ca.crt', keyField: 'ca.key', repair: restore },
    ...(state ? [{ cert: nextPath(CA_CERT), secret: nextPath(CA_KEY), certField: 'ca.crt', keyField: 'ca.key', repair: restore }] : []),
    ...fleet.clusters.map((c) => ({
      cert: state?.reissued.includes(c.name) ? nextPath(CA_CERT) : CA_CERT, secret: clusterCaPath(c.name), certField: 'ca.crt', keyField: 'ca.key',
      repair: `delete ${clusterCaPath(c.name)} and run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue ${c.name}\` (or ${restore})`,
    })),
  ];
}

/**
 * Replacing the fleet's Cilium CA with the chart's CA trust bundle (`tls.caBundle`, "allowing for
 * CA rotation with no down-time"): both CAs in every cluster's bundle (control-plane values), then
 * each cluster's cilium-ca Secret switched to the new CA (certgen re-signs the ClusterMesh and
 * Hubble certificates with it), then the bundle off again with only the new CA left.
 */
export const ciliumRootRotation: Omit<RootRotation, 'waitSteps'> = {
  rootCert: CA_CERT,
  rootKey: CA_KEY,
  rootName: 'Cilium CA',
  certName: 'cilium-ca Secret',
  // Cilium 1.16 and 1.17 charts project KVStoreMesh's etcd client CA from the cluster's own
  // certificate Secret even with tls.caBundle on: once one cluster moved to the new CA, its peers'
  // KVStoreMesh would stop trusting it until all had moved. 1.18 reads the bundle there too.
  refuse(fleet) {
    const { version } = ciliumOf(fleet);
    const [major, minor] = minorOf(version);
    if (major > 1 || minor >= 18) return undefined;
    return `Cilium ${version}'s chart ignores the CA trust bundle (tls.caBundle) for KVStoreMesh's etcd client CA, so replacing the Cilium CA on it would cut clusters off from each other mid-rotation: ` +
      'move spec.mesh.cilium.version to 1.18 or later first (one minor at a time; dist/README.md, "Upgrading"), then `npm run pki -- rotate-root begin`';
  },
  async newRoot(fleet) {
    const settings = ciliumOf(fleet).ca;
    const ca = await createRoot({ keyType: settings.keyType, days: settings.validityDays }, CA_SUBJECT);
    return { certPem: ca.certPem, keyFile: await encryptedFile(KEY_HEADER, caSecret(ca), fleet.secrets.operators) };
  },
  rootPair: (pkiDir, keyPath) => caKeyPair(pkiDir, undefined, keyPath),
  clusterFiles: async (fleet, _pkiDir, cluster, _bundle, signer) => (signer ? new Map([[clusterCaPath(cluster.name), await clusterFile(fleet, cluster, signer)]]) : new Map()),
  signerOf(read, cluster, trust) {
    const text = read(clusterCaPath(cluster));
    if (text === undefined) return undefined;
    const held = copyFingerprint(text);
    return rootsOf(trust).find((r) => certFingerprint(r) === held) ?? (held === undefined ? trust.rootPem : undefined) ?? `unknown CA ${held}`;
  },
  delivered(objects, releases) {
    const secret = objects.find((o) => o.kind === 'Secret' && (o.metadata as { name?: string } | undefined)?.name === CILIUM_CA_SECRET);
    const signer = ((secret?.metadata as { annotations?: Record<string, string> } | undefined)?.annotations ?? {})[CERT_SHA256_ANNOTATION];
    const bundle = (releases.find((r) => r.chart === 'cilium')?.values.tls as { caBundle?: { enabled?: boolean; content?: string } } | undefined)?.caBundle;
    if (bundle?.enabled && typeof bundle.content === 'string') return { trusts: pemBlocks(bundle.content).map(certFingerprint), ...(signer ? { signer } : {}) };
    if (!secret) return undefined;
    return signer ? { trusts: [signer], signer } : {};
  },
};

export const ciliumCa: Omit<CaProfile<CiliumPki>, 'clustersOf' | 'revocationSteps'> = {
  create: (fleet) => createCiliumPki(fleet),
  read: readCiliumPki,
  issue: issueCiliumCa,
  rekey: rekeyCiliumPki,
  status: (fleet, pkiDir, now) => ciliumPkiStatus(fleet, pkiDir, now),
  sopsRules: ciliumSopsRules,
  keyPairs: ciliumKeyPairs,
  files: (fleet) => [{ path: CA_CERT }, { path: CA_KEY }, ...fleet.clusters.map((c): StoreFile => ({ path: clusterCaPath(c.name), cluster: c.name }))],
};
