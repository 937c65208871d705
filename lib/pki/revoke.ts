/**
 * Keeping pki/ in step with the fleet when clusters leave, are renamed or change keys (any mesh,
 * through its CaProfile):
 *
 * - the recipients audit: every SOPS file in the store is compared with the recipients its
 *   .sops.yaml rule names (first matching rule wins, as sops does). A file still readable by a key
 *   fleet.yaml no longer names, or not readable by one it names, is stale: with an operator identity
 *   synth re-encrypts it (header kept), without one synth, `synth --check` and `check` refuse with
 *   the same list. dist/ holds byte copies of store files, so it follows once the store is right.
 * - orphans: files of clusters no longer in the fleet (the CaProfile says which clusters a path
 *   belongs to); synth removes them (no identity needed: deleting reads nothing) and says how to get
 *   them back from git.
 * - revocations: what a removed or replaced key could read that git cannot take back (tokens and CA
 *   keys valid on live clusters). The mesh writes the checklist; synth records it in the plain
 *   pki/revocations.yaml (no secrets, no timestamps), dist/README.md shows it until
 *   `npm run pki -- revoked <holder>` removes the entry.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parse } from 'yaml';
import { UsageError } from '../errors';
import type { Fleet } from '../fleet/types';
import type { GitOpsEngine } from '../contracts/engine';
import type { CaProfile } from '../contracts/mesh';
import { andList, shortKey } from '../format/recipients';
import { decryptObject, recipientsOf } from '../sops/sops';
import { encryptedFile, fileReader, readSopsFile } from './files';
import { posixPath } from '../format/paths';
import type { FileReader } from '../contracts/store';
import type { SopsRule } from '../contracts/store';
import { readRevocations, REVOCATIONS_FILE, revocationsText, type Revocation } from './revocations';

/** The former keys the previous fleet.yaml (in git) names. */
interface Former {
  readonly clusters: ReadonlyMap<string, string>;
  readonly operators: readonly string[];
  /** True when read from HEAD~1 (the change is committed): good for names, not for telling what changed now. */
  readonly committed?: boolean;
}

/** What review found, and what synth will change. */
export interface PkiReview {
  /** Lines naming each stale file and its recipients, by fleet name. */
  readonly stale: readonly { readonly path: string; readonly line: string; readonly want: readonly string[] }[];
  /** Store-relative orphan files, and the lines saying what is removed (folders grouped). */
  readonly orphans: readonly string[];
  readonly removedLines: readonly string[];
  /** For check: the orphans as problems. */
  readonly orphanProblems: readonly string[];
  /** The revocations this change adds (merged into revocations.yaml by apply). */
  readonly revocations: readonly Revocation[];
  /** Revocations already recorded. */
  readonly recorded: readonly Revocation[];
  /** "nhn-nks left and nhn-prod joined: …", when both happen in one change. */
  readonly renameNote?: string;
  /** Clusters whose files are orphans. */
  readonly removedClusters: readonly string[];
}

export interface ReviewInput {
  readonly fleet: Fleet;
  /** The fleet's GitOps engine, for the revocation checklists' commands. */
  readonly engine: GitOpsEngine;
  readonly ca: CaProfile;
  readonly pkiDir: string;
  /** pki/ as the user names it ("pki"), for messages. */
  readonly pkiLabel: string;
  /** The fleet file; its folder is where .sops.yaml rule paths start. */
  readonly fleetPath: string;
  readonly rules: readonly SopsRule[];
  /** How to read the store (default: from pkiDir), so a caller's later passes need not read it again. */
  readonly read?: FileReader;
}

/** Every file of the store, store-relative POSIX, sorted; leftovers of interrupted writes are skipped. */
export function storeFiles(pkiDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile() && !e.name.includes('.meshfleet-')) out.push(posixPath(relative(pkiDir, full)));
    }
  };
  if (existsSync(pkiDir)) walk(pkiDir);
  return out.sort();
}

function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

/**
 * The fleet.yaml committed at HEAD, for naming keys it no longer names (and at HEAD~1 when the
 * change is already committed: HEAD then equals the working file); undefined outside git.
 */
function formerFleet(fleetPath: string): Former | undefined {
  const show = (ref: string): string | undefined => git(dirname(fleetPath), ['show', `${ref}:./${basename(fleetPath)}`]);
  const head = show('HEAD');
  if (head === undefined) return undefined;
  if (head !== readFileSync(fleetPath, 'utf8')) return parseFormer(head);
  const parent = show('HEAD~1');
  const former = parent === undefined ? undefined : parseFormer(parent);
  return former && { ...former, committed: true };
}

function parseFormer(text: string): Former | undefined {
  try {
    const raw = parse(text) as { spec?: { secrets?: { operators?: unknown }; clusters?: { name?: unknown; ageRecipient?: unknown }[] } };
    const clusters = new Map<string, string>();
    for (const c of raw?.spec?.clusters ?? []) {
      if (typeof c?.name === 'string' && typeof c.ageRecipient === 'string') clusters.set(c.ageRecipient, c.name);
    }
    const ops = raw?.spec?.secrets?.operators;
    return { clusters, operators: Array.isArray(ops) ? ops.filter((o): o is string => typeof o === 'string') : [] };
  } catch {
    return undefined;
  }
}

/** A key named by the cluster folder whose files it opens (git names no holder): its last role in the fleet. */
interface Inferred {
  readonly name: string;
  /** "left the fleet" (the folder is an orphan), "key replaced" (the file lacks the cluster's current key), "extra recipient on its files". */
  readonly reason: string;
}

/** Names keys the way fleet.yaml's reader knows them. */
class KeyNames {
  private readonly current = new Map<string, string>();
  private readonly former = new Map<string, { label: string; holder: string; reason: string }>();

  constructor(fleet: Fleet, former: Former | undefined, recorded: readonly Revocation[], inferred: ReadonlyMap<string, Inferred>) {
    fleet.secrets.operators.forEach((r, i) => this.current.set(r, `operator ${i + 1}`));
    for (const c of fleet.clusters) this.current.set(c.ageRecipient, c.name);
    const names = new Set(fleet.clusters.map((c) => c.name));
    const setFormer = (key: string, v: { label: string; holder: string; reason: string }): void => {
      if (!this.current.has(key) && !this.former.has(key)) this.former.set(key, v);
    };
    for (const [key, name] of former?.clusters ?? []) {
      setFormer(key, names.has(name)
        ? { label: `${name}'s former key (${shortKey(key)})`, holder: name, reason: 'key replaced' }
        : { label: `${name} (${shortKey(key)})`, holder: name, reason: 'left the fleet' });
    }
    former?.operators.forEach((key, i) => setFormer(key, { label: `former operator ${i + 1} (${shortKey(key)})`, holder: `operator ${i + 1}`, reason: 'operator removed' }));
    for (const r of recorded) setFormer(r.recipient, { label: `${r.holder} (${shortKey(r.recipient)})`, holder: r.holder, reason: r.reason });
    for (const [key, { name, reason }] of inferred) {
      setFormer(key, {
        label: reason === 'left the fleet' ? `${name} (${shortKey(key)})` : reason === 'key replaced' ? `${name}'s former key (${shortKey(key)})` : `a key on ${name}'s files (${shortKey(key)})`,
        holder: name, reason,
      });
    }
  }

  inFleet(key: string): boolean {
    return this.current.has(key);
  }

  label(key: string): string {
    return this.current.get(key) ?? this.former.get(key)?.label ?? `a key (${shortKey(key)})`;
  }

  holder(key: string): { holder: string; reason: string } {
    return this.former.get(key) ?? { holder: 'unknown', reason: 'no longer in fleet.yaml' };
  }
}

/**
 * A cluster's own SOPS files (`<cluster>/…`) encrypted to another cluster of the fleet and not to
 * their own: a folder swapped with or copied from that cluster's. Re-encrypting such a file to its
 * folder's cluster would hand it the other's CA key, so every command that reads the store refuses
 * first (any mesh: this reads recipients only). One line per file, with the repair.
 */
export function misplacedFiles(fleet: Fleet, ca: Pick<CaProfile, 'clustersOf'>, pkiDir: string, read: FileReader, label: string): string[] {
  const lines: string[] = [];
  for (const f of storeFiles(pkiDir)) {
    if (!f.endsWith('.sops.yaml')) continue;
    const owners = ca.clustersOf(f);
    if (owners.length !== 1 || !f.startsWith(`${owners[0]}/`)) continue;
    const own = fleet.clusters.find((c) => c.name === owners[0]);
    const text = read(f);
    if (!own || text === undefined) continue;
    const have = recipientsOf(readSopsFile(text, `${label}/${f}`));
    if (have.includes(own.ageRecipient)) continue;
    const other = fleet.clusters.find((c) => c.name !== own.name && have.includes(c.ageRecipient));
    if (!other) continue;
    lines.push(`${label}/${f} is encrypted to cluster ${other.name}'s key, not ${own.name}'s: ${label}/${own.name}/ holds files of ${label}/${other.name}/ ` +
      `(swapped or copied folders). Restore from git (\`git checkout -- ${label}/${own.name} ${label}/${other.name}\`); ` +
      `if ${own.name}'s own files are lost, delete ${label}/${own.name}/ and run \`npm run pki -- issue ${own.name}\``);
  }
  return lines;
}

/** Looks at the store before a synth: stale recipients, orphans, revocations. Reads no secret. */
export function reviewPki(input: ReviewInput): PkiReview {
  const { fleet, ca, pkiDir, pkiLabel } = input;
  const names = new Set(fleet.clusters.map((c) => c.name));
  const files = storeFiles(pkiDir);
  const store = input.read ?? fileReader(pkiDir);
  const read = (path: string): string => store(path)!;
  const recorded = readRevocations(store, pkiLabel);
  const goneOf = (path: string): string[] => ca.clustersOf(path).filter((c) => !names.has(c));
  const orphans = files.filter((f) => goneOf(f).length > 0);
  const orphanSet = new Set(orphans);

  const recipients = new Map<string, string[]>();
  for (const f of files) if (f.endsWith('.sops.yaml')) recipients.set(f, recipientsOf(readSopsFile(read(f), `${pkiLabel}/${f}`)));

  const fleetKeys = new Set([...fleet.clusters.map((c) => c.ageRecipient), ...fleet.secrets.operators]);
  // git is asked only when something changed: an orphan, a key no longer in the fleet, a cluster without files.
  const ownedBefore = new Set(files.flatMap((f) => ca.clustersOf(f)));
  const changed = orphans.length > 0 || [...recipients.values()].some((r) => r.some((k) => !fleetKeys.has(k))) || fleet.clusters.some((c) => !ownedBefore.has(c.name));
  const former = changed ? formerFleet(input.fleetPath) : undefined;
  // A cluster's own files (<cluster>/…) are encrypted to its key beside the operators: a key found
  // there that the fleet does not name was that cluster's (removed, replaced, or added to the file),
  // which names it without git. Keys of fleet-wide files (the root or anchor key) are operators', never a cluster's.
  const fleetWide = new Set([...recipients].filter(([f]) => ca.clustersOf(f).length === 0).flatMap(([, r]) => r));
  const inferred = new Map<string, Inferred>();
  // Removed clusters' files first: a key found there too is named "left the fleet", not "replaced".
  const orphansFirst = ([a]: [string, unknown], [b]: [string, unknown]): number => Number(!orphanSet.has(a)) - Number(!orphanSet.has(b)) || (a < b ? -1 : a > b ? 1 : 0);
  for (const [f, have] of [...recipients].sort(orphansFirst)) {
    // Only the cluster's own folder is encrypted to its key; links are for its peers.
    const owners = ca.clustersOf(f);
    if (owners.length !== 1 || !f.startsWith(`${owners[0]}/`)) continue;
    const owner = owners[0]!;
    const current = fleet.clusters.find((c) => c.name === owner)?.ageRecipient;
    for (const key of have) {
      if (fleetKeys.has(key) || fleetWide.has(key) || former?.operators.includes(key) || inferred.has(key)) continue;
      inferred.set(key, { name: owner, reason: current === undefined ? 'left the fleet' : have.includes(current) ? 'extra recipient on its files' : 'key replaced' });
    }
  }
  const keys = new KeyNames(fleet, former, recorded, inferred);

  // The audit, against .sops.yaml's rules: sops takes the first rule whose path_regex matches.
  const fleetDir = dirname(input.fleetPath);
  const rel = posixPath(relative(fleetDir, pkiDir));
  const compiled = input.rules.map((r) => ({ re: new RegExp(r.pathRegex), recipients: r.recipients }));
  const stale: { path: string; line: string; want: string[] }[] = [];
  for (const [f, have] of recipients) {
    if (orphanSet.has(f)) continue;
    const rule = compiled.find((r) => r.re.test(rel === '' || rel === '.' ? f : `${rel}/${f}`));
    if (!rule) continue;
    const want = [...new Set(rule.recipients)];
    const extra = have.filter((k) => !want.includes(k));
    const missing = want.filter((k) => !have.includes(k));
    if (extra.length === 0 && missing.length === 0) continue;
    const gone = extra.filter((k) => !keys.inFleet(k));
    const other = extra.filter((k) => keys.inFleet(k));
    const clauses: string[] = [];
    if (gone.length > 0) clauses.push(`is readable by ${andList(gone.map((k) => keys.label(k)))} which ${gone.length === 1 ? 'is' : 'are'} no longer in fleet.yaml`);
    if (other.length > 0) clauses.push(`is readable by ${andList(other.map((k) => keys.label(k)))} which fleet.yaml no longer gives it to`);
    if (missing.length > 0) clauses.push(`is not readable by ${andList(missing.map((k) => keys.label(k)))}`);
    stale.push({ path: f, want, line: `${pkiLabel}/${f} ${clauses.join(' and ')}; it should be readable by ${andList(want.map((k) => keys.label(k)))}` });
  }

  // Orphans, grouped into the highest folder that holds nothing else.
  const items = new Map<string, string[]>();
  for (const f of orphans) {
    const parts = f.split('/');
    let item = f;
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (files.filter((g) => g.startsWith(`${dir}/`)).every((g) => orphanSet.has(g))) {
        item = `${dir}/`;
        break;
      }
    }
    items.set(item, [...new Set([...(items.get(item) ?? []), ...goneOf(f)])]);
  }
  const head = orphans.length > 0 ? git(fleetDir, ['rev-parse', '--short', 'HEAD'])?.trim() : undefined;
  const removedLines: string[] = [];
  const orphanProblems: string[] = [];
  for (const [item, gone] of [...items].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const shown = `${pkiLabel}/${item}`;
    const who = gone.length === 1 ? `cluster ${gone[0]} left the fleet` : `clusters ${andList(gone)} left the fleet`;
    const target = posixPath(relative(fleetDir, join(pkiDir, item)));
    const inGit = head !== undefined && git(fleetDir, ['cat-file', '-e', `HEAD:./${target.replace(/\/$/, '')}`]) !== undefined;
    removedLines.push(`removed ${shown} (${who}; ${inGit
      ? `recoverable from git history: git checkout ${head} -- ${shown.replace(/\/$/, '')}`
      : 'it was never committed, so git history does not keep it'})`);
    orphanProblems.push(`${shown} belongs to ${gone.length === 1 ? `cluster ${gone[0]}, which` : `clusters ${andList(gone)}, which`} left the fleet`);
  }

  // Every key no longer in the fleet that some file still opens for: what it could read.
  const revocations: Revocation[] = [];
  const formerKeys = [...new Set([...recipients.values()].flat())].filter((k) => !keys.inFleet(k)).sort();
  for (const key of formerKeys) {
    const { holder, reason } = keys.holder(key);
    const readable = [...recipients].filter(([, r]) => r.includes(key)).map(([f]) => f);
    const left = !names.has(holder);
    revocations.push({
      holder, recipient: key, reason,
      steps: ca.revocationSteps({ fleet, engine: input.engine, holder, left, readable, read: (p) => (existsSync(join(pkiDir, p)) ? read(p) : undefined), pkiLabel }),
    });
  }

  // Renames: a cluster gone and one new in the same change.
  const removedClusters = [...new Set(orphans.flatMap(goneOf))].sort();
  const formerNames = new Set(former && !former.committed ? former.clusters.values() : []);
  for (const n of formerNames) if (!names.has(n) && !removedClusters.includes(n)) removedClusters.push(n);
  const owned = ownedBefore;
  const added = fleet.clusters.map((c) => c.name).filter((n) => !owned.has(n) || (formerNames.size > 0 && !formerNames.has(n)));
  let renameNote: string | undefined;
  if (removedClusters.length > 0 && added.length > 0) {
    const issue = added.map((n) => (owned.has(n) ? `${n} (its CA is issued)` : `${n} (issue it with \`npm run pki -- issue ${n}\`)`));
    renameNote = `${andList(removedClusters)} left and ${andList(added)} joined: meshfleet treats a rename as removing ${andList(removedClusters)} ` +
      `(${removedClusters.length === 1 ? 'its' : 'their'} CA, links and access are revoked as above) and adding ${andList(issue)}`;
  }
  return { stale, orphans, removedLines, orphanProblems, revocations, recorded, removedClusters, ...(renameNote ? { renameNote } : {}) };
}

/** True when synth has something to change in the store. */
export const needsChange = (r: PkiReview): boolean => r.stale.length > 0 || r.orphans.length > 0;

/** The refusal (no identity, or --check/check): every stale file and orphan, and the one command that fixes them. */
export function reviewProblem(r: PkiReview, pkiLabel: string, check: boolean): string {
  const lines: string[] = [];
  if (r.stale.length > 0) {
    lines.push(`${r.stale.length} file(s) in ${pkiLabel} must be re-encrypted to the recipients fleet.yaml names:`, ...r.stale.map((s) => `  - ${s.line}`));
  }
  if (r.orphans.length > 0) {
    lines.push(`${pkiLabel} keeps files of clusters no longer in fleet.yaml:`, ...r.orphanProblems.map((p) => `  - ${p}`));
  }
  if (r.renameNote) lines.push(r.renameNote);
  const command = r.stale.length > 0 ? '`SOPS_AGE_KEY_FILE=<operator key file> npm run synth`' : '`npm run synth`';
  lines.push(r.stale.length > 0
    ? `Re-encrypting needs an operator's age identity: run ${command} and commit ${pkiLabel} and the output folder.`
    : `Run ${command} (it removes them; no identity needed) and commit ${pkiLabel} and the output folder.`);
  return (check ? 'the CA store is not what fleet.yaml implies:\n' : '') + lines.join('\n');
}

/**
 * The store changes synth makes: stale files re-encrypted (decrypted with the operator's
 * identities, header comment kept), orphans deleted, revocations.yaml updated.
 */
export async function applyReview(r: PkiReview, pkiDir: string, pkiLabel: string, identities: () => string[]): Promise<{ writes: Map<string, string>; deletes: string[] }> {
  const writes = new Map<string, string>();
  const ids = r.stale.length > 0 ? identities() : [];
  for (const s of r.stale) {
    const text = readFileSync(join(pkiDir, s.path), 'utf8');
    // The leading comment lines, kept as they are.
    const header = /^(?:#[^\n]*\n)*/.exec(text)![0];
    let plain;
    try {
      plain = await decryptObject(readSopsFile(text, `${pkiLabel}/${s.path}`), ids, `${pkiLabel}/${s.path}`);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      throw new UsageError(`${pkiLabel}/${s.path} cannot be opened with the identity in SOPS_AGE_KEY_FILE/SOPS_AGE_KEY: re-encrypting needs the key of someone who can read it now ` +
        '(an operator as the file stands in git; a new operator needs a former one to run synth once)');
    }
    writes.set(s.path, await encryptedFile(header, plain, s.want));
  }
  const recorded = recordRevocations(r);
  for (const [k, v] of recorded.writes) writes.set(k, v);
  return { writes, deletes: [...r.orphans, ...recorded.deletes] };
}

/** revocations.yaml with this review's revocations merged in (a key recorded again replaces its entry). */
export function recordRevocations(r: PkiReview): { writes: Map<string, string>; deletes: string[] } {
  const merged = new Map(r.recorded.map((x) => [x.recipient, x]));
  for (const x of r.revocations) merged.set(x.recipient, x);
  const before = revocationsText(r.recorded);
  const after = revocationsText([...merged.values()]);
  if (after === before) return { writes: new Map(), deletes: [] };
  return after === undefined ? { writes: new Map(), deletes: [REVOCATIONS_FILE] } : { writes: new Map([[REVOCATIONS_FILE, after]]), deletes: [] };
}

/** What synth prints after changing the store. */
export function reviewReport(r: PkiReview, pkiLabel: string): string[] {
  const out = [...r.removedLines];
  if (r.stale.length > 0) out.push(`re-encrypted ${r.stale.length} file(s) in ${pkiLabel}:`, ...r.stale.map((s) => `  - ${s.line}`));
  if (r.renameNote) out.push(r.renameNote);
  for (const x of r.revocations) {
    const whose = x.reason === 'extra recipient on its files' ? `the key found on ${x.holder}'s files` : `${x.holder}'s former key`;
    out.push(`git can no longer give ${whose} (${shortKey(x.recipient)}, ${x.reason}) anything, but what it could read stays valid on the live clusters until rotated:`,
      ...x.steps.map((s, i) => `  ${i + 1}. ${s}`),
      `  then \`npm run pki -- revoked ${x.holder}\` and commit (dist/README.md lists it under "Pending revocations" until then).`);
  }
  return out;
}
