/** `npm run pki -- status`: one row per certificate, whatever mesh's CA store it is. */
import { X509Certificate } from 'node:crypto';

export const EXPIRY_WARNING_DAYS = 30;

export interface StatusRow {
  subject: string;
  file: string;
  keyType: string;
  notAfter: string;
  daysLeft: number;
  chainOk: boolean;
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

export function formatStatus(rows: StatusRow[]): string {
  const head = ['certificate', 'subject', 'key type', 'not after', 'days left', 'chain ok'];
  const cells = rows.map((r) => [r.file, r.subject, r.keyType, r.notAfter, r.daysLeft < 0 && r.keyType === '-' ? '-' : String(r.daysLeft), r.chainOk ? 'yes' : 'NO']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((x, i) => x.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}
