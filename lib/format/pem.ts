/** PEM (RFC 7468) text: DER as base64 in 64-column lines between BEGIN and END lines of a label. */

/** `der` as PEM with `label` (CERTIFICATE, PRIVATE KEY, AGE ENCRYPTED FILE …), with a final newline. */
export function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

/** The DER of the first `label` block in `pem` (a chain's first certificate); undefined when there is none. */
export function pemDer(pem: string, label = 'CERTIFICATE'): Buffer | undefined {
  const block = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  return block ? Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64') : undefined;
}

/** Every `label` block of `pem` (a bundle of roots), each as PEM text with a final newline. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): string[] {
  return [...pem.matchAll(new RegExp(`-----BEGIN ${label}-----[^-]+-----END ${label}-----`, 'g'))].map((m) => `${m[0]}\n`);
}
