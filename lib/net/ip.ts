/** IP addresses and address ranges as integers, for pool overlap and containment checks. */
import { isIP } from 'node:net';

export interface IpRange {
  readonly family: 4 | 6;
  readonly first: bigint;
  readonly last: bigint;
}

/** An IPv4 or IPv6 address as an integer; undefined when it is not one. */
export function ipToBigInt(ip: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(ip);
  if (family === 4) {
    return { family, value: ip.split('.').reduce((acc, octet) => (acc << 8n) + BigInt(Number(octet)), 0n) };
  }
  if (family === 6) {
    let text = ip;
    const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
    if (v4) {
      const n = ipToBigInt(v4[1]!)!.value;
      text = text.slice(0, v4.index) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
    }
    const [head, tail] = text.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
    return { family, value: groups.reduce((acc, g) => (acc << 16n) + BigInt(parseInt(g, 16)), 0n) };
  }
  return undefined;
}

/** A MetalLB pool entry: "a.b.c.d/n", "a:b::/n" or "first-last"; undefined when malformed. */
export function parseRange(text: string): IpRange | undefined {
  const dash = text.indexOf('-');
  if (dash > 0) {
    const a = ipToBigInt(text.slice(0, dash).trim());
    const b = ipToBigInt(text.slice(dash + 1).trim());
    if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
    return { family: a.family, first: a.value, last: b.value };
  }
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const base = ipToBigInt(text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  if (!base || !/^\d{1,3}$/.test(prefixText)) return undefined;
  const bits = base.family === 4 ? 32 : 128;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const first = base.value & ~(size - 1n) & ((1n << BigInt(bits)) - 1n);
  return { family: base.family, first, last: first + size - 1n };
}

export function overlaps(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(range: IpRange, ip: string): boolean {
  const addr = ipToBigInt(ip);
  return !!addr && addr.family === range.family && range.first <= addr.value && addr.value <= range.last;
}

/**
 * Why an address cannot be reached from another cluster, if it cannot: loopback, unspecified
 * (0.0.0.0, ::) or link-local, in IPv4, IPv6 or IPv4-mapped IPv6 form (`::ffff:127.0.0.1`).
 */
export function unreachableAddress(ip: string): string | undefined {
  const addr = ipToBigInt(ip);
  if (!addr) return undefined;
  let { family, value } = addr;
  if (family === 6 && value >> 32n === 0xffffn) {
    family = 4;
    value &= 0xffffffffn;
  }
  if (family === 4) {
    if (value >> 24n === 127n) return 'a loopback address';
    if (value === 0n) return 'the unspecified address';
    if (value >> 16n === 0xa9fen) return 'a link-local address';
    return undefined;
  }
  if (value === 1n) return 'a loopback address';
  if (value === 0n) return 'the unspecified address';
  if (value >> 118n === 0x3fan) return 'a link-local address';
  return undefined;
}
