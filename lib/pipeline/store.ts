/**
 * The CA store (pki/) as a command opens it, in this order: an interrupted change completed or
 * rolled back (or, for a read-only command, reported); a new store made where there is none; the
 * files checked (this mesh's store, complete, each in its own cluster's folder); the review of
 * stale recipients, orphans and revocations (lib/pki/revoke.ts) applied by synth; the mesh's read;
 * and every certificate checked against its private key. Each file is read once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { GitOpsEngine } from '../contracts/engine';
import type { CaProfile, MeshModule } from '../contracts/mesh';
import type { FileReader, SopsRule } from '../contracts/store';
import { UsageError } from '../errors';
import { displayPath } from '../format/paths';
import type { Fleet } from '../fleet/types';
import { MESHES } from '../mesh/registry';
import { lockHolder } from '../output/lock';
import { assertOwnStore, assertStoreComplete, fileReader, readOnce, type StoreKind } from '../pki/files';
import { readRevocations, revocationsSection } from '../pki/revocations';
import { rotationStatus, storeTrustOf } from '../pki/rotation';
import { readTokens, tokenStatus } from '../pki/tokens';
import { applyReview, misplacedFiles, needsChange, reviewPki, reviewProblem, reviewReport, type PkiReview } from '../pki/revoke';
import { checkKeys, mismatchLines } from '../pki/status';
import { assertNoPendingPki, recoverPki } from '../pki/transaction';
import { filesAtHead } from '../review/tree';
import { identityNamed, operatorIdentities } from '../sops/identity';
import { loadFleetWithModules, type Modules } from './load';
import { assertPkiInRepo, locked, paths, type Paths, type WorkspaceOptions } from './workspace';

/** The plain file that names the fleet (metadata.name) a store was made for; stores made before it have none. */
export const FLEET_RECORD = 'meshfleet.yaml';

const fleetRecord = (name: string): string =>
  `# Written by meshfleet when it made this CA store: the fleet (metadata.name) it belongs to. No secrets here.\nfleet: ${name}\n`;

/** Refuses a store recorded as another fleet's (a copy of an example's, or another fleet's --pki). */
function assertOwnStoreFleet(read: FileReader, name: string, label: string): void {
  const other = /^fleet: (.+)$/m.exec(read(FLEET_RECORD) ?? '')?.[1];
  if (other === undefined || other === name) return;
  throw new UsageError(`${label} is the CA store of fleet ${other}, but fleet.yaml is fleet ${name} (metadata.name): its keys are that fleet's root of trust. ` +
    `Pass --pki with this fleet's own store; or, to start this fleet with a store of its own, move that one aside (\`git mv ${label} ${label}-${other}\`) ` +
    'and run synth, which makes a new one.');
}

/** The CA store as a command opened it. */
export interface OpenedStore {
  /** What the mesh's CA profile read (its own type); undefined where the mesh keeps no store. */
  readonly pki: unknown;
  /** A store this command made (store-relative path → content), not yet written. */
  readonly newPki?: Map<string, string>;
  readonly pkiLabel: string;
  /** An interrupted pki/ change this command completed or rolled back first. */
  readonly recovered?: string;
  /** What synth changes in the CA store (stale recipients, orphans, revocations), and what it says about it. */
  readonly pkiChange?: { readonly writes: ReadonlyMap<string, string>; readonly deletes: readonly string[]; readonly report: readonly string[] };
  /** Revocations recorded in the store (after this command's change), as dist/README.md lists them. */
  readonly pendingRevocations: readonly string[];
  /** dist/README.md's note at the top while a root or token rotation is open (pki/root-rotation.yaml, pki/link-tokens.yaml). */
  readonly rotationNotice: readonly string[];
}

export interface OpenStoreInput {
  readonly p: Paths;
  readonly fleet: Fleet;
  readonly mesh: MeshModule;
  readonly engine: GitOpsEngine;
  /** The .sops.yaml rules the store's files are encrypted by. */
  readonly rules: readonly SopsRule[];
  /** A read-only command: report an interrupted change, refuse a missing store and any review change. */
  readonly inMemoryOnly: boolean;
  /** false: skip the review (diff compares, it does not judge the store). */
  readonly reviewStore: boolean;
}

/**
 * For the commands that work on the store itself (pki, link): the paths and the fleet, the store
 * checked to be inside the repository before anything is read, and for a writing command (`writing`:
 * how the lock names it) the lock held with an interrupted change completed or rolled back first
 * (said on `note`); a reading command reports such a change instead.
 */
export async function storeSession<T>(options: WorkspaceOptions, writing: string | undefined, note: (s: string) => void,
  fn: (session: { readonly p: Paths; readonly fleet: Fleet; readonly modules: Modules }) => Promise<T>): Promise<T> {
  const p = paths(options);
  // Before recovery or the lock: nothing is read from or written to a store outside the repository.
  assertPkiInRepo(p);
  const { fleet, modules } = loadFleetWithModules(readFileSync(p.fleetPath, 'utf8'), options.fleet);
  if (modules.mesh.ca && existsSync(p.pkiDir)) assertOwnStoreFleet(fileReader(p.pkiDir), fleet.name, displayPath(p.pkiDir));
  if (writing === undefined) {
    assertNoPendingPki(p.pkiDir, lockHolder(p.fleetDir));
    return fn({ p, fleet, modules });
  }
  return locked(p, writing, note, async () => {
    const recovered = recoverPki(p.pkiDir, trustRoot(modules.mesh, fleet));
    if (recovered) note(`note: ${recovered}`);
    return fn({ p, fleet, modules });
  });
}

/** Opens the store for a synth, check or diff; throws a UsageError naming the command that repairs what it finds. */
export async function openStore({ p, fleet, mesh, engine, rules, inMemoryOnly, reviewStore }: OpenStoreInput): Promise<OpenedStore> {
  const pkiLabel = displayPath(p.pkiDir);
  if (mesh.ca) assertPkiInRepo(p);
  // An interrupted pki/ change: a synth (under the lock) completes or rolls it back; a read-only command reports it.
  const recovered = inMemoryOnly ? (assertNoPendingPki(p.pkiDir, lockHolder(p.fleetDir)), undefined) : recoverPki(p.pkiDir, trustRoot(mesh, fleet));
  let newPki: Map<string, string> | undefined;
  if (mesh.ca && !existsSync(p.pkiDir) || mesh.ca && emptyStore(p.pkiDir, pkiLabel)) {
    if (inMemoryOnly) throw new UsageError(`${pkiLabel} ${existsSync(p.pkiDir) ? 'is empty' : 'does not exist'}; run \`npm run synth\` once to create the CA store`);
    // Key generation can take seconds (RSA 4096, many clusters): say so on a terminal.
    if (process.stderr.isTTY) process.stderr.write(`creating the CA store ${pkiLabel} for ${fleet.clusters.length} cluster(s): generating keys…\n`);
    newPki = await mesh.ca.create(fleet);
    newPki.set(FLEET_RECORD, fleetRecord(fleet.name));
  }
  // The review, the CA profile's read and the key check all pass over the store: each file is read once.
  let reader: FileReader = newPki ? (path) => newPki!.get(path) : readOnce(fileReader(p.pkiDir));
  let review: PkiReview | undefined;
  let pkiChange: OpenedStore['pkiChange'];
  if (mesh.ca && !newPki) assertOwnStoreFleet(reader, fleet.name, pkiLabel);
  // A file the store implies that is gone (a deleted root key, a cluster's chain) stops every command that reads the store.
  if (mesh.ca && !newPki) assertOwnStore(storeKind(mesh, fleet), otherStores(mesh, fleet), reader, pkiLabel);
  if (mesh.ca && !newPki) assertStoreComplete(mesh.ca.files(fleet), reader, pkiLabel);
  // Before the review: a swapped cluster folder must not be "repaired" by re-encrypting it.
  if (mesh.ca && !newPki) assertPlaced(mesh.ca, fleet, p.pkiDir, reader, pkiLabel);
  if (mesh.ca && !newPki && reviewStore) {
    review = reviewPki({ fleet, engine, ca: mesh.ca, pkiDir: p.pkiDir, pkiLabel, fleetPath: p.fleetPath, rules, read: reader });
    if (needsChange(review)) {
      if (inMemoryOnly || (review.stale.length > 0 && !identityNamed())) throw new UsageError(reviewProblem(review, pkiLabel, inMemoryOnly));
      const change = await applyReview(review, p.pkiDir, pkiLabel, () => operatorIdentities());
      const disk = reader;
      reader = (path) => (change.deletes.includes(path) ? undefined : change.writes.get(path) ?? disk(path));
      pkiChange = { ...change, report: reviewReport(review, pkiLabel) };
    }
  }
  let pki: unknown;
  try {
    pki = mesh.ca?.read(reader, fleet, pkiLabel);
  } catch (e) {
    // A rename shows up as a new cluster without a CA: say what meshfleet makes of it.
    if (e instanceof UsageError && review?.renameNote) throw new UsageError(`${e.message}\n${review.renameNote}`);
    throw e;
  }
  if (mesh.ca && !newPki) {
    const mismatches = mismatchLines(await checkKeys(mesh.ca.keyPairs(fleet, reader), reader, availableIdentities(), pkiLabel), pkiLabel);
    if (mismatches.length > 0) throw new UsageError(`a certificate in ${pkiLabel} does not match its private key:\n${mismatches.map((m) => `  - ${m}`).join('\n')}`);
  }
  const pendingRevocations = mesh.ca ? revocationsSection(readRevocations(reader, pkiLabel)) : [];
  const rotationNotice = mesh.ca ? rotationInProgress(mesh, fleet, reader, pkiLabel) : [];
  return { pki, ...(newPki ? { newPki } : {}), pkiLabel, ...(recovered ? { recovered } : {}), ...(pkiChange ? { pkiChange } : {}), pendingRevocations, rotationNotice };
}

/**
 * Whether `pkiDir` is an empty folder: a new store is made in it, as where there is none. A folder
 * emptied of a store git still has at HEAD is not new: that is every file lost, so restore it.
 */
function emptyStore(pkiDir: string, label: string): boolean {
  if (!existsSync(pkiDir) || !statSync(pkiDir).isDirectory() || readdirSync(pkiDir).length > 0) return false;
  const committed = filesAtHead(pkiDir);
  if (committed > 0) {
    throw new UsageError(`${label} is empty, but the last commit has ${committed} file(s) in it: the CA store was deleted, not never made. ` +
      `Restore it (\`git checkout HEAD -- ${label}\`); a new store would be a new root of trust that no running cluster shares.`);
  }
  return true;
}

export const storeKind = (mesh: MeshModule, fleet: Fleet): StoreKind => ({ type: mesh.type, files: mesh.ca?.files(fleet) ?? [] });
export const otherStores = (mesh: MeshModule, fleet: Fleet): StoreKind[] =>
  Object.values(MESHES).filter((m) => m !== mesh && m.ca).map((m) => storeKind(m, fleet));

/** The operator identities when SOPS_AGE_KEY(_FILE) names usable ones; undefined otherwise (never an error: they only add checks). */
export function availableIdentities(): string[] | undefined {
  if (!identityNamed()) return undefined;
  try {
    return operatorIdentities();
  } catch {
    return undefined;
  }
}

/** Throws a UsageError listing the CA profile's misplaced certificates, if any. */
export function assertPlaced(ca: CaProfile, fleet: Fleet, pkiDir: string, read: FileReader, label: string): void {
  const lines = misplaced(ca, fleet, pkiDir, read, label);
  if (lines.length > 0) throw new UsageError(`${label} has certificate(s) in another cluster's folder; nothing was changed:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}

/** Files in another cluster's folder: by their SOPS recipients (any mesh), then by what the CA profile reads in them. */
export function misplaced(ca: CaProfile, fleet: Fleet, pkiDir: string, read: FileReader, label: string): string[] {
  return [...misplacedFiles(fleet, ca, pkiDir, read, label), ...(ca.misplaced?.(fleet, read, label) ?? [])];
}

/** The store's fleet-wide files (root, trust anchor, ClusterMesh CA): recovery never deletes them. */
export function trustRoot(mesh: MeshModule, fleet: Fleet): string[] {
  return (mesh.ca?.files(fleet) ?? []).filter((f) => f.cluster === undefined).map((f) => f.path);
}

/** The note at the top of dist/README.md while a rotation is open: where it stands and the next command. */
function rotationInProgress(mesh: MeshModule, fleet: Fleet, read: FileReader, label: string): string[] {
  const lines: string[] = [];
  const rr = mesh.ca?.rootRotation;
  const trust = rr ? storeTrustOf(rr, read, label) : undefined;
  if (rr && trust?.state) lines.push(`- **The ${rr.rootName} is being replaced.** ${rotationStatus(trust, fleet, rr).split('\n').join(' ')} ("Rotating certificates" says what to wait for.)`);
  const tokens = mesh.link?.tokens;
  const state = tokens ? readTokens(read, label) : undefined;
  if (tokens && state?.next) lines.push(`- **The ${tokens.name}s are rotating.** ${tokenStatus(state, tokens.name)}`);
  return lines.length > 0 ? ['## Rotation in progress', '', ...lines, ''] : [];
}
