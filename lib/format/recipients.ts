/**
 * Age recipients as people read them: checked (bech32 checksum), shortened for messages, and named
 * by what fleet.yaml calls their holder ("nhn-nks", "operator 1") rather than by count.
 */
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk >>> 0;
}

/** Why `recipient` is not an age X25519 public key (a typo breaks its bech32 checksum), or undefined. */
export function recipientProblem(recipient: string): string | undefined {
  const m = /^(age)1([qpzry9x8gf2tvdw0s3jn54khce6mua7l]+)$/.exec(recipient);
  if (!m) return 'is not an age public key (age1 followed by lower-case bech32 characters)';
  const hrp = m[1]!;
  const data = [...m[2]!].map((c) => CHARSET.indexOf(c));
  const expanded = [...[...hrp].map((c) => c.charCodeAt(0) >> 5), 0, ...[...hrp].map((c) => c.charCodeAt(0) & 31)];
  if (polymod([...expanded, ...data]) !== 1) return 'has a wrong checksum (a character was mistyped or lost when it was copied)';
  return undefined;
}

/** The 32-byte X25519 public key an age recipient encodes (bech32 data, checksum dropped, 5-bit groups to bytes). */
export function recipientBytes(recipient: string): Buffer {
  const problem = recipientProblem(recipient);
  if (problem) throw new Error(`age: the recipient ${shortKey(recipient)} ${problem}`);
  const groups = [...recipient.slice(4, -6)].map((c) => CHARSET.indexOf(c));
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const g of groups) {
    acc = (acc << 5) | g;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  if (out.length !== 32 || (acc & ((1 << bits) - 1)) !== 0) throw new Error(`age: the recipient ${shortKey(recipient)} does not hold a 32-byte key`);
  return Buffer.from(out);
}

/** A recipient shortened for messages: enough to recognise it, never the whole key. */
export const shortKey = (recipient: string): string => `${recipient.slice(0, 12)}…`;

/** Joins names as a sentence does: "a", "a and b", "a, b and c". */
export function andList(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A key by its name in fleet.yaml ("nhn-nks", "operator 1"), else shortened. */
export function keyName(fleet: { readonly secrets: { readonly operators: readonly string[] }; readonly clusters: readonly { readonly name: string; readonly ageRecipient: string }[] }, key: string): string {
  const op = fleet.secrets.operators.indexOf(key);
  if (op >= 0) return `operator ${op + 1}`;
  const c = fleet.clusters.find((x) => x.ageRecipient === key);
  return c ? c.name : `a key no longer in fleet.yaml (${shortKey(key)})`;
}

/** "readable by X, which it should not be, and not by Y; it should be readable by A and B" — undefined when the sets agree. */
export function recipientsMismatch(fleet: Parameters<typeof keyName>[0], have: readonly string[], want: readonly string[]): string | undefined {
  const extra = have.filter((k) => !want.includes(k));
  const missing = want.filter((k) => !have.includes(k));
  if (extra.length === 0 && missing.length === 0) return undefined;
  const clauses = [
    ...(extra.length > 0 ? [`is readable by ${andList(extra.map((k) => keyName(fleet, k)))}, which should not read it`] : []),
    ...(missing.length > 0 ? [`is not readable by ${andList(missing.map((k) => keyName(fleet, k)))}`] : []),
  ];
  return `${clauses.join(' and ')}; it should be readable by ${andList(want.map((k) => keyName(fleet, k)))}`;
}
