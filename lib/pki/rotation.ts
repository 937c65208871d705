/**
 * Replacing a store's root of trust without downtime, as reviewed phases (`npm run pki --
 * rotate-root begin | next [<cluster>] | finish | status`), for any mesh whose CaProfile has a
 * RootRotation:
 *
 *   begin   a new root beside the old one (`<root>.next.pem`, `<key>.next.sops.yaml`); every
 *           cluster trusts both; every cluster keeps its certificate under the old root
 *   next    a cluster's certificate (Istio intermediate, Linkerd issuer, its copy of the Cilium CA)
 *           re-issued under the new root; both still trusted everywhere
 *   finish  the new root takes the root's file names, the old root leaves every bundle and its key
 *           leaves pki/ (the revocation checklist records what git cannot take back)
 *
 * The state is the plain pki/root-rotation.yaml (no secrets); every phase is one transaction
 * (commitPkiChanges) writing it with the certificates it describes, so a killed phase is rolled
 * back or forward by the next command. Fingerprints are openssl's (`x509 -fingerprint -sha256`).
 */
import { X509Certificate } from 'node:crypto';
import { parse } from 'yaml';
import type { Fleet } from '../fleet/types';
import type { RootRotation } from '../contracts/mesh';
import type { DeliveredTrust, FileReader, RotationPhase, RotationState, StoreTrust } from '../contracts/store';
import { UsageError } from '../errors';
import { toYaml } from '../format/yaml';
import { certFingerprint, fileReader } from './files';
import { readRevocations, revocationsText, REVOCATIONS_FILE } from './revocations';
import { commitPkiChanges } from './transaction';

export const ROTATION_FILE = 'root-rotation.yaml';
const ROTATION_HEADER = '# Written by meshfleet (`npm run pki -- rotate-root`): the root of trust being replaced. No secrets here; do not edit.\n' +
  '# `npm run pki -- rotate-root status` says where it stands and what comes next.\n';

/** Where the new root sits while a rotation is open: `root-cert.pem` → `root-cert.next.pem`, `root-key.sops.yaml` → `root-key.next.sops.yaml`. */
export const nextPath = (path: string): string => path.replace(/(\.sops\.yaml|\.pem)$/, '.next$1');

/** A fingerprint as people compare them: its first eight hex digits. */
export const shortFingerprint = (fp: string): string => fp.replace(/:/g, '').slice(0, 8);

/** A set of roots as messages and diff name them: `{3f2a9c1b, 9d0e4f7a}`. */
const named = (fps: readonly string[]): string => `{${fps.map(shortFingerprint).join(', ')}}`;

/** The state file, checked; undefined when no rotation is open. */
export function readRotation(read: FileReader, label: string): RotationState | undefined {
  const text = read(ROTATION_FILE);
  if (text === undefined) return undefined;
  const broken = (why: string): UsageError => new UsageError(`${label}/${ROTATION_FILE} ${why}: restore it from git (\`git checkout -- ${label}/${ROTATION_FILE}\`); ` +
    'it records a root of trust being replaced, which only `npm run pki -- rotate-root` changes');
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw broken(`is not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  const r = (doc as { rotation?: Partial<Record<keyof RotationState, unknown>> } | null)?.rotation;
  const fp = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;
  if (!r || typeof r.from !== 'string' || !fp.test(r.from) || typeof r.to !== 'string' || !fp.test(r.to) ||
    !Array.isArray(r.reissued) || !r.reissued.every((c) => typeof c === 'string')) {
    throw broken('is not what meshfleet writes (rotation: from, to: SHA-256 fingerprints; reissued: cluster names)');
  }
  return { from: r.from, to: r.to, reissued: r.reissued as string[] };
}

export function rotationText(state: RotationState): string {
  return ROTATION_HEADER + toYaml({ rotation: { from: state.from, to: state.to, reissued: [...state.reissued].sort() } });
}

/** The store's roots: its root, and while a rotation is open the new one (each checked against the state's fingerprints). */
export function readTrust(read: FileReader, rr: Pick<RootRotation, 'rootCert'>, label: string, rootPem: string): StoreTrust {
  const state = readRotation(read, label);
  if (!state) return { rootPem };
  const next = nextPath(rr.rootCert);
  const nextPem = read(next);
  const restore = `restore ${label}/ from the commit of the last \`rotate-root\` phase (\`git checkout <commit> -- ${label}\`)`;
  if (nextPem === undefined) throw new UsageError(`${label}/${ROTATION_FILE} says a new root is being rolled out, but ${label}/${next} is missing: ${restore}`);
  if (fingerprintOf(rootPem) !== state.from) throw new UsageError(`${label}/${rr.rootCert} is not the root ${label}/${ROTATION_FILE} replaces (${shortFingerprint(state.from)}): ${restore}`);
  if (fingerprintOf(nextPem) !== state.to) throw new UsageError(`${label}/${next} is not the new root ${label}/${ROTATION_FILE} names (${shortFingerprint(state.to)}): ${restore}`);
  return { rootPem, nextPem, state };
}

/** The store's trust, for a mesh that can rotate its root; undefined when the store has no root yet. */
export function storeTrustOf(rr: Pick<RootRotation, 'rootCert'>, read: FileReader, label: string): StoreTrust | undefined {
  const rootPem = read(rr.rootCert);
  return rootPem === undefined ? undefined : readTrust(read, rr, label, rootPem);
}

/**
 * The roots a status lists: the root, and the new one of an open rotation. A broken rotation file
 * leaves the root alone here; the store's readers name it with the repair.
 */
export function statusRoots(read: FileReader, rr: Pick<RootRotation, 'rootCert'>, label: string): string[] {
  const rootPem = read(rr.rootCert);
  if (rootPem === undefined) return [];
  try {
    return rootsOf(readTrust(read, rr, label, rootPem));
  } catch {
    return [rootPem];
  }
}

/** The store-relative key file that signs for a cluster in the store's phase: the root's, or the new root's once the cluster is re-issued. */
export const signingKeyPath = (trust: StoreTrust, cluster: string, rootKey: string): string =>
  (trust.nextPem !== undefined && signingRoot(trust, cluster) === trust.nextPem ? nextPath(rootKey) : rootKey);

const fingerprintOf = (pem: string): string => {
  try {
    return certFingerprint(pem);
  } catch {
    return '';
  }
};

export function phaseOf(state: RotationState | undefined, fleet: Fleet): RotationPhase | undefined {
  if (!state) return undefined;
  const done = fleet.clusters.filter((c) => state.reissued.includes(c.name)).length;
  return done === 0 ? 'begun' : done === fleet.clusters.length ? 'reissued' : 'reissuing';
}

/** The root a cluster's certificate is (to be) signed by in the store's phase. */
export function signingRoot(trust: StoreTrust, cluster: string): string {
  return trust.state && trust.nextPem && trust.state.reissued.includes(cluster) ? trust.nextPem : trust.rootPem;
}

/** What a cluster trusts: its signing root first, then the other root while a rotation is open. */
export function bundleOf(trust: StoreTrust, cluster: string): string[] {
  const first = signingRoot(trust, cluster);
  return [first, ...[trust.rootPem, trust.nextPem].filter((p): p is string => p !== undefined && p !== first)];
}

/** Every root the store trusts, the root first. */
export const rootsOf = (trust: StoreTrust): string[] => [trust.rootPem, ...(trust.nextPem ? [trust.nextPem] : [])];

/** Whether `pem` is signed by `root` (or is `root`: Cilium's clusters hold the CA itself); with `within`, also that it does not outlive it. */
export function chainsTo(pem: string, root: string, within = false): boolean {
  if (pem === root) return true;
  try {
    const cert = new X509Certificate(pem);
    const ca = new X509Certificate(root);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && (!within || new Date(cert.validTo) <= new Date(ca.validTo));
  } catch {
    return false;
  }
}

function assertRotation(rr: RootRotation | undefined, type: string): RootRotation {
  if (!rr) throw new UsageError(`mesh type ${type} has no root of trust meshfleet can rotate`);
  return rr;
}

export interface RotationInput {
  readonly fleet: Fleet;
  readonly pkiDir: string;
  readonly label: string;
  readonly rotation: RootRotation | undefined;
  readonly meshType: string;
}

/** `rotate-root begin`: a new root; every cluster trusts both, keeping its certificate. */
export async function beginRotation({ fleet, pkiDir, label, rotation, meshType }: RotationInput): Promise<string> {
  const rr = assertRotation(rotation, meshType);
  const read = fileReader(pkiDir);
  const rootPem = read(rr.rootCert);
  if (rootPem === undefined) throw new UsageError(`${label}/${rr.rootCert} is missing: restore it from git before replacing it`);
  const refused = rr.refuse?.(fleet);
  if (refused) throw new UsageError(refused);
  const open = readRotation(read, label);
  if (open) throw new UsageError(`a rotation of the ${rr.rootName} is already open (${describeState(open, fleet)}): \`npm run pki -- rotate-root status\` says what comes next`);
  const root = await rr.newRoot(fleet);
  const trust: StoreTrust = { rootPem, nextPem: root.certPem, state: { from: certFingerprint(rootPem), to: certFingerprint(root.certPem), reissued: [] } };
  const writes = new Map<string, string>([[nextPath(rr.rootCert), root.certPem], [nextPath(rr.rootKey), root.keyFile], [ROTATION_FILE, rotationText(trust.state!)]]);
  for (const c of fleet.clusters) for (const [k, v] of await rr.clusterFiles(fleet, pkiDir, c, bundleOf(trust, c.name))) writes.set(k, v);
  commitPkiChanges(pkiDir, writes);
  return `began replacing the ${rr.rootName} ${shortFingerprint(trust.state!.from)} with ${shortFingerprint(trust.state!.to)}: every cluster now trusts both, and keeps its ${rr.certName}. ` +
    'Run `npm run synth`, review (`npm run diff`), commit pki/ and dist/, and let every cluster sync; dist/README.md ("Rotating certificates") says what to wait for before `npm run pki -- rotate-root next`.';
}

/** `rotate-root next [<cluster>]`: the named cluster's certificate (default: every cluster not yet re-issued) under the new root. */
export async function reissueUnderNewRoot(input: RotationInput, only?: string): Promise<string> {
  const { fleet, pkiDir, label, meshType } = input;
  const rr = assertRotation(input.rotation, meshType);
  const read = fileReader(pkiDir);
  const trust = readTrust(read, rr, label, read(rr.rootCert) ?? '');
  if (!trust.state) throw new UsageError(`no rotation of the ${rr.rootName} is open: \`npm run pki -- rotate-root begin\` starts one`);
  if (only !== undefined && !fleet.clusters.some((c) => c.name === only)) {
    throw new UsageError(`no cluster named ${JSON.stringify(only)} in fleet.yaml (clusters: ${fleet.clusters.map((c) => c.name).join(', ')})`);
  }
  const todo = fleet.clusters.filter((c) => (only === undefined || c.name === only) && !trust.state!.reissued.includes(c.name));
  if (todo.length === 0) {
    throw new UsageError(only ? `${only}'s ${rr.certName} is already under the new root` : `every cluster's ${rr.certName} is already under the new root: \`npm run pki -- rotate-root finish\` is next`);
  }
  const signer = await rr.rootPair(pkiDir, nextPath(rr.rootKey));
  const state: RotationState = { ...trust.state, reissued: [...trust.state.reissued, ...todo.map((c) => c.name)] };
  const after: StoreTrust = { ...trust, state };
  const writes = new Map<string, string>([[ROTATION_FILE, rotationText(state)]]);
  for (const c of todo) for (const [k, v] of await rr.clusterFiles(fleet, pkiDir, c, bundleOf(after, c.name), signer)) writes.set(k, v);
  commitPkiChanges(pkiDir, writes);
  const left = fleet.clusters.filter((c) => !state.reissued.includes(c.name)).map((c) => c.name);
  return `re-issued the ${rr.certName} of ${todo.map((c) => c.name).join(', ')} under the new ${rr.rootName} ${shortFingerprint(state.to)}; both roots stay trusted everywhere. ` +
    'Run `npm run synth`, review, commit pki/ and dist/, and let the clusters sync; ' +
    (left.length > 0 ? `still under the old root: ${left.join(', ')} (\`npm run pki -- rotate-root next\`).` : 'then, once every workload runs on the new chain (dist/README.md), `npm run pki -- rotate-root finish`.');
}

/** `rotate-root finish`: the new root becomes the root; the old one leaves every bundle and its key leaves pki/. */
export async function finishRotation(input: RotationInput): Promise<string> {
  const { fleet, pkiDir, label, meshType } = input;
  const rr = assertRotation(input.rotation, meshType);
  const read = fileReader(pkiDir);
  const trust = readTrust(read, rr, label, read(rr.rootCert) ?? '');
  if (!trust.state || !trust.nextPem) throw new UsageError(`no rotation of the ${rr.rootName} is open: \`npm run pki -- rotate-root begin\` starts one`);
  const left = fleet.clusters.filter((c) => !trust.state!.reissued.includes(c.name)).map((c) => c.name);
  if (left.length > 0) {
    throw new UsageError(`${left.join(', ')} still sign with the old ${rr.rootName}: finishing now would cut them off from every peer. Run \`npm run pki -- rotate-root next\` first`);
  }
  const keyFile = read(nextPath(rr.rootKey));
  if (keyFile === undefined) throw new UsageError(`${label}/${nextPath(rr.rootKey)} is missing: restore it from git (\`git checkout -- ${label}/${nextPath(rr.rootKey)}\`)`);
  const after: StoreTrust = { rootPem: trust.nextPem };
  const writes = new Map<string, string>([[rr.rootCert, trust.nextPem], [rr.rootKey, keyFile]]);
  for (const c of fleet.clusters) for (const [k, v] of await rr.clusterFiles(fleet, pkiDir, c, bundleOf(after, c.name))) writes.set(k, v);
  const revocations = readRevocations(read, label).filter((r) => r.recipient !== trust.state!.from);
  const holder = `former ${rr.rootName} ${shortFingerprint(trust.state.from)}`;
  revocations.push({
    holder, recipient: trust.state.from, reason: 'replaced by rotate-root',
    steps: [
      `Its key leaves \`${label}/\` with this change, but every earlier commit still holds it (SOPS-encrypted to the operators of that time): git cannot take it back. ` +
      `Nothing in the fleet trusts it once this change has synced: check that no cluster still lists it (fingerprint \`${trust.state.from}\`) with the commands of "Rotating certificates".`,
      'Destroy every copy of it outside git (operators\' decrypted exports, backups of the store). An operator key that could open it, and leaves the fleet later, needs no step for it.',
    ],
  });
  writes.set(REVOCATIONS_FILE, revocationsText(revocations)!);
  commitPkiChanges(pkiDir, writes, [nextPath(rr.rootCert), nextPath(rr.rootKey), ROTATION_FILE]);
  return `finished: ${shortFingerprint(trust.state.to)} is the ${rr.rootName} now (${label}/${rr.rootCert}); the old root ${shortFingerprint(trust.state.from)} leaves every cluster's trust and its key leaves ${label}/. ` +
    `Run \`npm run synth\`, review, commit pki/ and dist/; "${holder}" is on the revocation checklist (\`npm run pki -- revoked "${holder}"\` once done).`;
}

function describeState(state: RotationState, fleet: Fleet): string {
  const phase = phaseOf(state, fleet);
  const left = fleet.clusters.filter((c) => !state.reissued.includes(c.name)).map((c) => c.name);
  return `${shortFingerprint(state.from)} → ${shortFingerprint(state.to)}, ${phase === 'begun' ? 'both trusted, no cluster re-issued yet' :
    phase === 'reissued' ? 'every cluster re-issued' : `re-issued: ${state.reissued.join(', ')}; not yet: ${left.join(', ')}`}`;
}

/** `rotate-root status`: where the rotation stands and the next command. */
export function rotationStatus(trust: StoreTrust, fleet: Fleet, rr: RootRotation): string {
  if (!trust.state) {
    return `no rotation open: the ${rr.rootName} is ${shortFingerprint(certFingerprint(trust.rootPem))}, valid until ${new Date(new X509Certificate(trust.rootPem).validTo).toISOString().slice(0, 10)}. ` +
      '`npm run pki -- rotate-root begin` starts replacing it.';
  }
  const phase = phaseOf(trust.state, fleet)!;
  const next = phase === 'reissued' ? '`npm run pki -- rotate-root finish`' : '`npm run pki -- rotate-root next [<cluster>]`';
  return `rotation of the ${rr.rootName}: ${describeState(trust.state, fleet)}.\nnext, once the last phase is committed and every cluster has synced it: ${next}`;
}

/** dist/README.md's part of "Rotating certificates" about the root of trust: the phases, and where the fleet stands. */
export function rootRotationSection(trust: StoreTrust | undefined, fleet: Fleet, rr: RootRotation): string[] {
  const phase = trust ? phaseOf(trust.state, fleet) : undefined;
  const out = [`### Replacing the ${rr.rootName}`, '',
    `The ${rr.rootName} is replaced in three reviewed commits, each safe on its own; each command refuses to start until the previous phase's pki/ and output are committed. ` +
    'Between phases, wait on every cluster as each step says.', '',
    `1. \`npm run pki -- rotate-root begin\`, synth, commit: every cluster trusts the old and the new root; nothing is re-issued.`,
    ...rr.waitSteps('begun', fleet).map((s) => `   - ${s}`),
    `2. \`npm run pki -- rotate-root next [<cluster>]\` (one cluster, or every one left), synth, commit: its ${rr.certName} is re-issued under the new root; both stay trusted.`,
    ...rr.waitSteps('reissued', fleet).map((s) => `   - ${s}`),
    `3. \`npm run pki -- rotate-root finish\`, synth, commit: the old root leaves every cluster's trust and its key leaves pki/.`,
    ...rr.waitSteps('finished', fleet).map((s) => `   - ${s}`),
    '', '`npm run check` proves each phase offline: every cluster\'s certificate chains to a root every peer trusts, none outlives its root, and what pki/ records is what the output delivers.'];
  if (trust?.state && phase) {
    out.push('', `**In progress:** ${describeState(trust.state, fleet)}. Next: ${phase === 'reissued' ? '`rotate-root finish`' : '`rotate-root next`'}, once the waits of the phase before are done.`);
  }
  return out;
}

/** check's offline proofs: what fails, and what only warns (a certificate outliving its root, as stores made before meshfleet capped them have). */
export interface TrustProofs {
  readonly problems: string[];
  readonly warnings: string[];
}

/**
 * check's offline proofs of a store's trust against what an output folder delivers: every
 * cluster's certificate chains to a root every peer trusts and does not outlive it; every cluster
 * trusts what the store's phase says and signs with the certificate the store holds. One line each.
 */
export function trustProofs(fleet: Fleet, read: FileReader, rr: RootRotation, trust: StoreTrust, delivered: ReadonlyMap<string, DeliveredTrust>, label: string, out: string): TrustProofs {
  const lines: string[] = [];
  const warnings: string[] = [];
  const holders = fleet.clusters.filter((c) => rr.holdsTrust?.(fleet, c) ?? true);
  // Outputs written before meshfleet recorded trust were outside any rotation: the store's root.
  const trustsOf = (d: DeliveredTrust): readonly string[] => d.trusts ?? [fingerprintOf(trust.rootPem)];
  for (const c of holders) {
    const signer = rr.signerOf(read, c.name, trust);
    if (signer === undefined) continue; // the store's reader names a missing certificate
    const root = rootsOf(trust).find((r) => chainsTo(signer, r));
    if (!root) {
      lines.push(`${c.name}'s ${rr.certName} chains to no root ${label}/ trusts: run \`npm run pki -- rotate ${c.name}\` (or restore ${label}/ from git)`);
      continue;
    }
    // A store made in one run before meshfleet capped intermediates has them end seconds after the
    // root (made a moment later, for the same number of days): not worth a warning.
    if (!chainsTo(signer, root, true) && new Date(new X509Certificate(signer).validTo).getTime() - new Date(new X509Certificate(root).validTo).getTime() > 3_600_000) {
      warnings.push(`${c.name}'s ${rr.certName} outlives the root it chains to (made before meshfleet capped it): it is cut at the root's end; \`npm run pki -- rotate ${c.name}\` re-issues it within the root's lifetime`);
    }
    const want = bundleOf(trust, c.name).map(fingerprintOf);
    const got = delivered.get(c.name);
    if (!got) {
      lines.push(`${out} delivers no ${rr.rootName} to ${c.name}: run \`npm run synth\` and commit`);
      continue;
    }
    if ([...want].sort().join() !== [...trustsOf(got)].sort().join()) {
      lines.push(`${out} makes ${c.name} trust ${named(trustsOf(got))}, but ${label}/ is in the phase where it trusts ${named(want)}: run \`npm run synth\` and commit`);
    }
    if (got.signer !== undefined && got.signer !== fingerprintOf(signer) && !(signer === root && got.signer === fingerprintOf(root))) {
      lines.push(`${out} gives ${c.name} another ${rr.certName} than ${label}/ holds: run \`npm run synth\` and commit`);
    }
    for (const p of holders) {
      const peer = delivered.get(p.name);
      if (p === c || !peer) continue;
      const peerTrusts = trustsOf(peer);
      if (!peerTrusts.includes(fingerprintOf(root))) {
        lines.push(`${p.name} does not trust the root ${shortFingerprint(fingerprintOf(root))} ${c.name}'s ${rr.certName} chains to (${p.name} trusts ${named(peerTrusts)}): traffic from ${c.name} would fail; run \`npm run synth\` and commit`);
      }
    }
  }
  return { problems: lines, warnings };
}

/** diff's trust lines: per cluster, what it trusts before and after, and a re-issued certificate; no key, ever. */
export function trustChanges(before: ReadonlyMap<string, DeliveredTrust>, after: ReadonlyMap<string, DeliveredTrust>, rr: RootRotation, rootPem: string): string[] {
  const lines: string[] = [];
  // Outputs written before meshfleet recorded trust were outside any rotation: the store's root.
  const root = fingerprintOf(rootPem);
  for (const cluster of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const was = before.get(cluster);
    const now = after.get(cluster);
    if (!was || !now) continue;
    const a = was.trusts ?? [root];
    const b = now.trusts ?? [root];
    if (named([...a].sort()) !== named([...b].sort())) lines.push(`${cluster} trusts ${named(a)} → ${named(b)}`);
    if (was.signer !== now.signer && was.signer && now.signer) lines.push(`${cluster}: ${rr.certName} re-issued (${shortFingerprint(was.signer)} → ${shortFingerprint(now.signer)})`);
  }
  return lines;
}
