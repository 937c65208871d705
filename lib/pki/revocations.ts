/**
 * pki/revocations.yaml: what a removed or replaced key could read that git cannot take back
 * (tokens and CA keys valid on live clusters), one checklist per former key. Plain YAML, no
 * secrets, no timestamps; dist/README.md lists it until `npm run pki -- revoked <holder>`.
 */
import { parse } from 'yaml';
import type { FileReader } from '../contracts/store';
import { UsageError } from '../errors';
import { shortKey } from '../format/recipients';
import { toYaml } from '../format/yaml';
import { fileReader } from './files';

export const REVOCATIONS_FILE = 'revocations.yaml';
const REVOCATIONS_HEADER = '# Written by meshfleet (`npm run synth`, `npm run pki`): access that left the fleet and is still valid on live clusters.\n' +
  '# No secrets here. Do the steps of an entry, then `npm run pki -- revoked <holder>` (or delete the entry) and commit.\n';

/** One former key and what to rotate because it could read it. */
export interface Revocation {
  /** Who held the key, by fleet name: a cluster, "operator 2", or "unknown". */
  readonly holder: string;
  readonly recipient: string;
  /** "left the fleet", "key replaced", "operator removed", "no longer in fleet.yaml". */
  readonly reason: string;
  /** The checklist, Markdown, one step per entry (from the mesh's CaProfile.revocationSteps). */
  readonly steps: readonly string[];
}

export function readRevocations(read: FileReader, pkiLabel: string): Revocation[] {
  const text = read(REVOCATIONS_FILE);
  if (text === undefined) return [];
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw new UsageError(`${pkiLabel}/${REVOCATIONS_FILE} is not valid YAML (${(e as Error).message.split('\n')[0]}): restore it from git (\`git checkout -- ${pkiLabel}/${REVOCATIONS_FILE}\`)`);
  }
  const list = (doc as { revocations?: unknown } | null)?.revocations;
  if (!Array.isArray(list)) return [];
  return list.flatMap((r: Partial<Revocation>) => (typeof r?.holder === 'string' && typeof r.recipient === 'string'
    ? [{ holder: r.holder, recipient: r.recipient, reason: String(r.reason ?? ''), steps: Array.isArray(r.steps) ? r.steps.map(String) : [] }] : []));
}

/** revocations.yaml for these entries (sorted, so the same state gives the same bytes); undefined when none is pending. */
export function revocationsText(list: readonly Revocation[]): string | undefined {
  if (list.length === 0) return undefined;
  const sorted = [...list].sort((a, b) => (a.holder === b.holder ? (a.recipient < b.recipient ? -1 : 1) : a.holder < b.holder ? -1 : 1));
  return REVOCATIONS_HEADER + toYaml({ revocations: sorted.map((r) => ({ holder: r.holder, recipient: r.recipient, reason: r.reason, steps: [...r.steps] })) });
}

/** `npm run pki -- revoked <holder|recipient>`: the entry is done; returns the message. */
export function markRevoked(pkiDir: string, pkiLabel: string, who: string, commit: (writes: Map<string, string>, deletes: string[]) => void): string {
  const list = readRevocations(fileReader(pkiDir), pkiLabel);
  const done = list.filter((r) => r.holder === who || r.recipient === who);
  if (done.length === 0) {
    throw new UsageError(list.length === 0 ? `no revocation is pending in ${pkiLabel}/${REVOCATIONS_FILE}`
      : `no pending revocation for ${JSON.stringify(who)} in ${pkiLabel}/${REVOCATIONS_FILE} (pending: ${list.map((r) => r.holder).join(', ')}); name a holder or its age recipient`);
  }
  const text = revocationsText(list.filter((r) => !done.includes(r)));
  if (text === undefined) commit(new Map(), [REVOCATIONS_FILE]);
  else commit(new Map([[REVOCATIONS_FILE, text]]), []);
  return `marked ${done.length} revocation(s) of ${who} done in ${pkiLabel}/${REVOCATIONS_FILE}; run \`npm run synth\` (dist/README.md drops it) and commit.`;
}

/** dist/README.md's "Pending revocations" section; empty when nothing is pending. */
export function revocationsSection(list: readonly Revocation[]): string[] {
  if (list.length === 0) return [];
  const out = ['## Pending revocations', '',
    'These keys left the fleet (or were replaced). Nothing in git opens for them any more, but what they could read before stays valid ' +
    'on the live clusters until it is rotated. Do the steps, then mark the entry done with `npm run pki -- revoked <holder>` and commit.', ''];
  for (const r of [...list].sort((a, b) => (a.holder === b.holder ? (a.recipient < b.recipient ? -1 : 1) : a.holder < b.holder ? -1 : 1))) {
    out.push(`### ${r.holder} (\`${shortKey(r.recipient)}\`, ${r.reason})`, '', ...r.steps.map((s, i) => `${i + 1}. ${s}`), '');
  }
  return out;
}
