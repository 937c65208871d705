/**
 * pki/, the fleet's CA store, beside fleet.yaml:
 *
 *   root-cert.pem                  the shared Istio root (public)
 *   root-key.sops.yaml             its key, SOPS-encrypted to the operators
 *   <cluster>/ca-cert.pem          the cluster's intermediate (public)
 *   <cluster>/cert-chain.pem       intermediate + root (public)
 *   <cluster>/cacerts.sops.yaml    Secret istio-system/cacerts, SOPS-encrypted to the cluster and the operators;
 *                                  synth copies it into the cluster's mesh-prereqs stage byte for byte
 *   links/<cluster>.sops.yaml      Secret istio-remote-secret-<cluster> (written by `npm run link`),
 *                                  encrypted to every other cluster and the operators
 *
 * Randomness (keys, data keys, nonces) happens only when these files are made; a synth only reads
 * them, so its output is byte-stable. Everything that reads the store checks it against fleet.yaml
 * first and says which command repairs a mismatch.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors';
import type { Cluster, Fleet } from '../fleet/types';
import { toYaml } from '../render/yaml';
import { encryptObject, recipientsOf, type Tree } from '../sops/sops';
import { createIntermediate, createRoot, type KeyPairPem } from './certs';

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
export interface PkiState {
  readonly rootCertPem: string;
  readonly clusters: ReadonlyMap<string, { certPem: string; cacerts: string }>;
  /** links/<cluster>.sops.yaml content and who can decrypt it, for the clusters that have one. */
  readonly links: ReadonlyMap<string, { content: string; recipients: readonly string[] }>;
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function cacertsRecipients(fleet: Fleet, cluster: Cluster): string[] {
  return unique([cluster.ageRecipient, ...fleet.secrets.operators]);
}

export function linkRecipients(fleet: Fleet, cluster: Cluster): string[] {
  return unique([...fleet.clusters.filter((c) => c.name !== cluster.name).map((c) => c.ageRecipient), ...fleet.secrets.operators]);
}

/** A SOPS-encrypted object as file text: header comment + canonical YAML. */
export async function encryptedFile(header: string, obj: Tree, recipients: readonly string[], now?: Date): Promise<string> {
  return header + toYaml(await encryptObject(obj, recipients, now));
}

export function cacertsSecret(intermediate: KeyPairPem, rootCertPem: string): Tree {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'cacerts', namespace: 'istio-system' },
    type: 'Opaque',
    stringData: {
      'ca-cert.pem': intermediate.certPem,
      'ca-key.pem': intermediate.keyPem,
      'root-cert.pem': rootCertPem,
      'cert-chain.pem': intermediate.certPem + rootCertPem,
    },
  };
}

/** The files of one cluster's intermediate CA, signed by `root`. */
export async function issueFiles(fleet: Fleet, cluster: Cluster, root: KeyPairPem, now?: Date): Promise<Map<string, string>> {
  const ca = fleet.mesh.istio.ca;
  const intermediate = await createIntermediate(cluster.name, root, { keyType: ca.keyType, days: ca.intermediateValidityDays, ...(now ? { now } : {}) });
  return new Map([
    [caCertPath(cluster.name), intermediate.certPem],
    [chainPath(cluster.name), intermediate.certPem + root.certPem],
    [cacertsPath(cluster.name), await encryptedFile(CACERTS_HEADER, cacertsSecret(intermediate, root.certPem), cacertsRecipients(fleet, cluster), now)],
  ]);
}

export function rootKeySecret(root: KeyPairPem): Tree {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'istio-root-ca', namespace: 'istio-system' },
    type: 'Opaque',
    stringData: { 'root-cert.pem': root.certPem, 'root-key.pem': root.keyPem },
  };
}

export async function rootKeyFile(fleet: Fleet, root: KeyPairPem, now?: Date): Promise<string> {
  return encryptedFile(ROOT_KEY_HEADER, rootKeySecret(root), fleet.secrets.operators, now);
}

/** A whole new store: one root and an intermediate per cluster, keys generated concurrently. */
export async function createPki(fleet: Fleet, now?: Date): Promise<Map<string, string>> {
  const ca = fleet.mesh.istio.ca;
  const root = await createRoot({ keyType: ca.keyType, days: ca.rootValidityDays, ...(now ? { now } : {}) });
  const files = new Map<string, string>([[ROOT_CERT, root.certPem], [ROOT_KEY, await rootKeyFile(fleet, root, now)]]);
  const perCluster = await Promise.all(fleet.clusters.map((c) => issueFiles(fleet, c, root, now)));
  for (const m of perCluster) for (const [k, v] of m) files.set(k, v);
  return files;
}

/** Reads and checks the store for a synth: every cluster issued, recipients current, chains valid. */
export function readPki(read: (path: string) => string | undefined, fleet: Fleet, pkiLabel: string): PkiState {
  const problems: string[] = [];
  const rootCertPem = read(ROOT_CERT);
  if (rootCertPem === undefined) {
    throw new UsageError(`${pkiLabel}/${ROOT_CERT} is missing, so no cluster certificate can be checked. Restore it from git; a new root means re-issuing every cluster.`);
  }
  const root = new X509Certificate(rootCertPem);
  const clusters = new Map<string, { certPem: string; cacerts: string }>();
  for (const c of fleet.clusters) {
    const certPem = read(caCertPath(c.name));
    const cacerts = read(cacertsPath(c.name));
    if (certPem === undefined || cacerts === undefined) {
      problems.push(`cluster ${c.name} has no intermediate CA in ${pkiLabel}/${c.name}/. Issuing one needs the root key: ` +
        `run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue ${c.name}\`, then synth again.`);
      continue;
    }
    const cert = new X509Certificate(certPem);
    if (!cert.checkIssued(root) || !cert.verify(root.publicKey)) {
      problems.push(`${pkiLabel}/${caCertPath(c.name)} is not signed by ${pkiLabel}/${ROOT_CERT}: run \`npm run pki -- rotate ${c.name}\`.`);
    }
    const have = recipientsOf(parse(cacerts) as Tree);
    const want = cacertsRecipients(fleet, c);
    if (!sameSet(have, want)) {
      problems.push(`${pkiLabel}/${cacertsPath(c.name)} is encrypted to ${have.length} recipient(s) but fleet.yaml names ${want.length} for it ` +
        `(cluster ${c.name}'s ageRecipient and the operators): run \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rekey\`.`);
    }
    clusters.set(c.name, { certPem, cacerts });
  }
  if (problems.length > 0) throw new UsageError(`${pkiLabel} does not match fleet.yaml:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const links = new Map<string, { content: string; recipients: string[] }>();
  for (const c of fleet.clusters) {
    const content = read(linkPath(c.name));
    if (content !== undefined) links.set(c.name, { content, recipients: recipientsOf(parse(content) as Tree) });
  }
  return { rootCertPem, clusters, links };
}

export function fileReader(dir: string): (path: string) => string | undefined {
  return (path) => {
    const full = join(dir, path);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  };
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}
