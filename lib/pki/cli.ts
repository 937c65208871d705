/**
 * `npm run pki -- <command>`: status, issue, rotate and rekey for pki/. Commands that sign or
 * re-encrypt need the root key, so they read the operator's identity (SOPS_AGE_KEY_FILE).
 */
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { parse } from 'yaml';
import { UsageError } from '../errors';
import type { Cluster, Fleet } from '../fleet/types';
import { writeFilesAtomically } from '../output/write';
import { decryptObject, type Tree } from '../sops/sops';
import { operatorIdentities } from '../sops/identity';
import type { KeyPairPem } from './certs';
import {
  cacertsPath, cacertsRecipients, caCertPath, CACERTS_HEADER, encryptedFile, fileReader, issueFiles, LINK_HEADER, linkPath,
  linkRecipients, ROOT_CERT, ROOT_KEY, rootKeyFile,
} from './store';

export const EXPIRY_WARNING_DAYS = 30;

export interface StatusRow {
  subject: string;
  file: string;
  keyType: string;
  notAfter: string;
  daysLeft: number;
  chainOk: boolean;
}

/** One row per certificate: the root and every cluster's intermediate (missing ones too). */
export function pkiStatus(fleet: Fleet, pkiDir: string, now = new Date()): StatusRow[] {
  const read = fileReader(pkiDir);
  const rootPem = read(ROOT_CERT);
  const root = rootPem ? new X509Certificate(rootPem) : undefined;
  const row = (file: string, pem: string | undefined, chainOk: (c: X509Certificate) => boolean): StatusRow => {
    if (!pem) return { subject: '(missing)', file, keyType: '-', notAfter: '-', daysLeft: -1, chainOk: false };
    const cert = new X509Certificate(pem);
    const notAfter = new Date(cert.validTo);
    const details = cert.publicKey.asymmetricKeyDetails;
    const keyType = cert.publicKey.asymmetricKeyType === 'rsa' ? `rsa-${details?.modulusLength}` : `ecdsa-${details?.namedCurve}`;
    return {
      subject: cert.subject.split('\n').join(', '),
      file,
      keyType,
      notAfter: notAfter.toISOString().slice(0, 10),
      daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
      chainOk: chainOk(cert),
    };
  };
  const rows = [row(ROOT_CERT, rootPem, (c) => c.checkIssued(c) && c.verify(c.publicKey))];
  for (const c of fleet.clusters) {
    rows.push(row(caCertPath(c.name), read(caCertPath(c.name)), (cert) => !!root && cert.checkIssued(root) && cert.verify(root.publicKey)));
  }
  return rows;
}

export function formatStatus(rows: StatusRow[]): string {
  const head = ['certificate', 'subject', 'key type', 'not after', 'days left', 'chain ok'];
  const cells = rows.map((r) => [r.file, r.subject, r.keyType, r.notAfter, r.daysLeft < 0 && r.keyType === '-' ? '-' : String(r.daysLeft), r.chainOk ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

async function rootKeyPair(pkiDir: string, identities: readonly string[] = operatorIdentities()): Promise<KeyPairPem> {
  const read = fileReader(pkiDir);
  const text = read(ROOT_KEY);
  if (!text) throw new UsageError(`${pkiDir}/${ROOT_KEY} is missing: without the root key no cluster can be issued`);
  const plain = await decryptObject(parse(text) as Tree, identities);
  const data = plain.stringData as Record<string, string>;
  return { certPem: data['root-cert.pem']!, keyPem: data['root-key.pem']! };
}

function clusterNamed(fleet: Fleet, name: string | undefined): Cluster {
  const cluster = fleet.clusters.find((c) => c.name === name);
  if (!cluster) throw new UsageError(`no cluster named ${JSON.stringify(name)} in fleet.yaml (clusters: ${fleet.clusters.map((c) => c.name).join(', ')})`);
  return cluster;
}

/** issue: a first intermediate for a cluster that has none; rotate: a new one in its place. */
export async function issue(fleet: Fleet, pkiDir: string, name: string | undefined, replace: boolean): Promise<string> {
  const cluster = clusterNamed(fleet, name);
  const exists = existsSync(`${pkiDir}/${cacertsPath(cluster.name)}`);
  if (exists && !replace) throw new UsageError(`cluster ${cluster.name} already has an intermediate CA; use \`npm run pki -- rotate ${cluster.name}\` to replace it`);
  if (!exists && replace) throw new UsageError(`cluster ${cluster.name} has no intermediate CA yet; use \`npm run pki -- issue ${cluster.name}\``);
  const root = await rootKeyPair(pkiDir);
  writeFilesAtomically(pkiDir, await issueFiles(fleet, cluster, root));
  return `${replace ? 'rotated' : 'issued'} the intermediate CA of ${cluster.name}; run \`npm run synth\` and commit pki/ and dist/. ` +
    'istiod picks up a new intermediate with the same root without a restart.';
}

/** Re-encrypts every encrypted file in pki/ to the recipients fleet.yaml names now. */
export async function rekey(fleet: Fleet, pkiDir: string): Promise<string> {
  const identities = operatorIdentities();
  const read = fileReader(pkiDir);
  const files = new Map<string, string>();
  const again = async (path: string, header: string, recipients: readonly string[]): Promise<void> => {
    const text = read(path);
    if (text === undefined) return;
    files.set(path, await encryptedFile(header, await decryptObject(parse(text) as Tree, identities), recipients));
  };
  const root = await rootKeyPair(pkiDir, identities);
  files.set(ROOT_KEY, await rootKeyFile(fleet, root));
  for (const c of fleet.clusters) {
    await again(cacertsPath(c.name), CACERTS_HEADER, cacertsRecipients(fleet, c));
    await again(linkPath(c.name), LINK_HEADER, linkRecipients(fleet, c));
  }
  writeFilesAtomically(pkiDir, files);
  return `re-encrypted ${files.size} file(s) in ${pkiDir} to the recipients in fleet.yaml; run \`npm run synth\` and commit.`;
}
