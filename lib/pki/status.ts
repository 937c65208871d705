/** `npm run pki -- status`: one row per certificate, whatever mesh's CA store it is; and whether each certificate's key matches it. */
import { nextPath } from './rotation';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { AlteredFileError, dataKey, decryptWithKey, parseSopsText, type Tree } from '../sops/sops';
import { CERT_SHA256_ANNOTATION } from './files';
import type { FileReader, KeyMatch, KeyPairFiles, StatusRow } from '../contracts/store';

export const EXPIRY_WARNING_DAYS = 30;
/** `check` warns this many days ahead that a cluster's certificate wants rotating (under the same root: nothing restarts). */
export const ROTATION_NOTICE_DAYS = 90;

export interface KeyCheck {
  readonly pair: KeyPairFiles;
  readonly match: KeyMatch;
  /** Why it does not match, or how it was checked. */
  readonly detail: string;
}

const spki = (key: ReturnType<typeof createPublicKey>): string => key.export({ type: 'spki', format: 'der' }).toString('base64');

/**
 * Checks every pair present in the store. Without identities only the fingerprint recorded in the
 * Secret's (plaintext, MAC-covered) annotation is compared; with an identity that opens the Secret,
 * the certificate and the public half of the private key inside it are compared too, and the MAC
 * is verified. Pairs whose files are missing are left out (the stores report missing files themselves).
 */
export async function checkKeys(pairs: readonly KeyPairFiles[], read: FileReader, identities?: readonly string[], label = 'pki'): Promise<KeyCheck[]> {
  const out: KeyCheck[] = [];
  for (const pair of pairs) {
    const certPem = read(pair.cert);
    const text = read(pair.secret);
    if (certPem === undefined || text === undefined) continue;
    let cert: X509Certificate;
    let obj: Tree;
    try {
      cert = new X509Certificate(certPem);
      obj = parseSopsText(text) as Tree;
    } catch {
      continue; // not a certificate or not YAML: the store's own reader names the file
    }
    const recorded = ((obj?.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations ?? {})[CERT_SHA256_ANNOTATION];
    if (typeof recorded === 'string' && recorded !== cert.fingerprint256) {
      out.push({ pair, match: 'NO', detail: `${pair.secret} holds the key of another certificate (SHA-256 ${recorded}), not of ${pair.cert} (SHA-256 ${cert.fingerprint256})` });
      continue;
    }
    let match: KeyMatch = typeof recorded === 'string' ? 'yes' : 'unknown';
    let detail = typeof recorded === 'string' ? 'recorded fingerprint' : 'no fingerprint recorded and no operator identity';
    if (identities && identities.length > 0) {
      let key: Buffer | undefined;
      try {
        key = await dataKey(obj, identities);
      } catch {
        // not encrypted to these identities: the fingerprint is all there is
      }
      if (key) {
        try {
          const data = (decryptWithKey(obj, key, `${label}/${pair.secret}`).stringData ?? {}) as Record<string, string>;
          const inner = data[pair.certField];
          const priv = data[pair.keyField];
          if (!inner || !priv) {
            match = 'NO';
            detail = `${pair.secret} has no ${!inner ? pair.certField : pair.keyField}`;
          } else if (new X509Certificate(inner).fingerprint256 !== cert.fingerprint256) {
            match = 'NO';
            detail = `${pair.secret} holds another certificate (SHA-256 ${new X509Certificate(inner).fingerprint256}) than ${pair.cert} (SHA-256 ${cert.fingerprint256})`;
          } else if (spki(createPublicKey(createPrivateKey(priv))) !== spki(cert.publicKey)) {
            match = 'NO';
            detail = `the private key in ${pair.secret} is not the key of ${pair.cert}`;
          } else {
            match = 'yes';
            detail = 'decrypted and compared';
          }
        } catch (e) {
          if (e instanceof AlteredFileError) throw e; // tampered, not mismatched: restore it, do not rotate
          match = 'NO';
          detail = `${pair.secret}: ${(e as Error).message}`;
        }
      }
    }
    out.push({ pair, match, detail });
  }
  return out;
}

/** The rows with their keyMatch column filled in from the checks (NO wins over unknown over yes). */
export function withKeyChecks(rows: StatusRow[], checks: readonly KeyCheck[]): StatusRow[] {
  return rows.map((r) => {
    const mine = checks.filter((c) => c.pair.cert === r.file);
    if (mine.length === 0) return r;
    const keyMatch: KeyMatch = mine.some((c) => c.match === 'NO') ? 'NO' : mine.some((c) => c.match === 'unknown') ? 'unknown' : 'yes';
    return { ...r, keyMatch };
  });
}

/** One line per mismatch: the files, why, and the command that repairs it. */
export function mismatchLines(checks: readonly KeyCheck[], label: string): string[] {
  return checks.filter((c) => c.match === 'NO').map((c) =>
    `${label}/${c.pair.cert} does not match its key in ${label}/${c.pair.secret} (${c.detail}): ${c.pair.repair}`);
}

/** A row for the certificate at `file` (missing when `pem` is undefined). */
export function certRow(file: string, pem: string | undefined, chainOk: (c: X509Certificate) => boolean, now: Date): StatusRow {
  if (!pem) return { subject: '(missing)', file, keyType: '-', notAfter: '-', daysLeft: -1, chainOk: false };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    return { subject: '(not a PEM certificate: restore it from git)', file, keyType: '-', notAfter: '-', daysLeft: -1, chainOk: false };
  }
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
}

/** The row of a store's self-signed root of trust at `file`. */
export function rootRow(file: string, pem: string | undefined, now: Date): StatusRow {
  return { ...certRow(file, pem, (c) => c.checkIssued(c) && c.verify(c.publicKey), now), root: true };
}

/** The rows of a store's roots: the root at `file` (`pem`), and the new one of an open rotation (`roots[1]`, at its `.next` name). */
export function rootRows(file: string, pem: string | undefined, roots: readonly string[], now: Date): StatusRow[] {
  return [rootRow(file, pem, now), ...(roots.length > 1 ? [rootRow(nextPath(file), roots[1], now)] : [])];
}

/** Rows that fail `check` and `pki status`: missing, not chaining, or expiring within the warning window. */
export const needsAttention = (r: StatusRow): boolean => !r.chainOk || r.daysLeft <= EXPIRY_WARNING_DAYS;

/**
 * One line per row that needs attention, with the fix that applies to it. A cluster's certificate is
 * renewed by `pki rotate <cluster>` (`issue` when missing); the root of trust is not: a new root is
 * a new CA store, and every cluster moves to it.
 */
export function attentionLines(rows: readonly StatusRow[], label: string): string[] {
  const endingRoot = rows.find((r) => r.root && r.keyType !== '-' && r.chainOk && r.daysLeft <= EXPIRY_WARNING_DAYS);
  return rows.filter(needsAttention).map((r) => {
    const when = r.keyType === '-' ? r.subject : `${r.subject}, not after ${r.notAfter} (${r.daysLeft < 0 ? 'expired' : `${r.daysLeft} days left`})`;
    const where = `${label}/${r.file}: ${when}`;
    if (r.root) {
      if (r.keyType === '-') return `${where}: the root of trust is missing or unreadable: restore it from git (\`git checkout <commit> -- ${label}/${r.file}\`)`;
      if (!r.chainOk) return `${where}: the root of trust is not self-signed: restore it from git (\`git checkout <commit> -- ${label}\`)`;
      return `${where}: this is the root of trust itself, which \`pki rotate\` cannot renew: replace it without downtime with \`npm run pki -- rotate-root begin\`, ` +
        'then `next` and `finish`, a synth and a commit after each (README, "Replacing the root of trust")';
    }
    const cluster = r.file.split('/')[0]!;
    // a re-issued certificate cannot outlive the root that signs it: renewing the root renews it too
    if (endingRoot && r.keyType !== '-') return `${where}: no certificate outlives the root of trust (not after ${endingRoot.notAfter}): \`rotate-root next\` re-issues it under the new root`;
    if (r.keyType === '-') return `${where}: run \`npm run pki -- issue ${cluster}\` (or restore it from git)`;
    return `${where}${r.chainOk ? '' : ', does not chain to the root'}: run \`npm run pki -- rotate ${cluster}\``;
  });
}

export function formatStatus(rows: StatusRow[]): string {
  const head = ['certificate', 'subject', 'key type', 'not after', 'days left', 'chain ok', 'key matches'];
  const cells = rows.map((r) => [r.file, r.subject, r.keyType, r.notAfter, r.daysLeft < 0 && r.keyType === '-' ? '-' : String(r.daysLeft), r.chainOk ? 'yes' : 'NO',
    r.keyMatch === undefined ? '-' : r.keyMatch]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/** One line per cluster certificate that ends within ROTATION_NOTICE_DAYS but not yet within EXPIRY_WARNING_DAYS: rotate ahead. */
export function rotationNotices(rows: readonly StatusRow[], label: string): string[] {
  return rows.filter((r) => !r.root && r.keyType !== '-' && r.chainOk && r.daysLeft > EXPIRY_WARNING_DAYS && r.daysLeft <= ROTATION_NOTICE_DAYS)
    .map((r) => `${label}/${r.file}: ${r.subject}, not after ${r.notAfter} (${r.daysLeft} days left): rotate it ahead, under the same root (nothing restarts on a new trust): ` +
      `\`npm run pki -- rotate ${r.file.split('/')[0]}\`, then \`npm run synth\` and commit`);
}
