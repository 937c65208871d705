/**
 * Issue 26: kill -9 during any phase of `npm run pki -- rotate-root begin | next | finish` leaves a
 * CA store that the next command completes or rolls back. Each phase writes pki/ through one
 * transaction (lib/pki/transaction.ts), so the store after a kill and the next writing command
 * (`synth`) is exactly the store before the phase, or the store an uninterrupted run of the phase
 * makes: the same files (the encrypted ones and a new root are new random bytes on every run, so
 * the files the phase rewrites are compared by what they say, not by their bytes), nothing left in
 * pki/.meshfleet-txn, a rotation state that names files which exist, `pki status` and
 * `rotate-root status` clean. A rolled-back phase runs again at once (dist/ is still the committed
 * one, so its "previous phase committed" check passes); a completed one synthesizes and checks.
 *
 * The fleet is the Istio two-primaries example (two primaries, two remotes) in a git repository,
 * encrypted to the fixture's identities, with ECDSA keys. The phases run as real processes (the
 * built CLI, as `npm run` runs it), killed at seeded points (MESHFLEET_KILL_SEED, printed): half
 * spread uniformly over the phase's measured runtime, half a random 0–40 ms after its transaction
 * folder appears in pki/; then one more the moment its journal is renamed into place (the commit
 * point), for the roll-forward path. MESHFLEET_KILL_ITERATIONS (default 8) sets half as many seeded
 * kills per phase (at least 2), which keeps `npm test` in its budget.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, type FSWatcher, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LOCK_FILE } from '../../lib/output/lock';
import { certFingerprint, fileReader } from '../../lib/pki/files';
import { readRotation, ROTATION_FILE } from '../../lib/pki/rotation';
import { TXN_DIR } from '../../lib/pki/transaction';
import { decryptObject, type Tree } from '../../lib/sops/sops';
import { after, onceWriting, runBuilt, type Killer, type Run } from '../kill';
import { exampleText, fixture, gitCommit, hasCommand, hashTree, runMain, seededRandom, tempDir, withFixtureKeys } from '../helpers';

const ITERATIONS = Number(process.env.MESHFLEET_KILL_ITERATIONS ?? 8);
const KILLS = Math.max(2, Math.ceil(ITERATIONS / 2));
const SEED = Number(process.env.MESHFLEET_KILL_SEED ?? 26_0);
const PHASES = ['begin', 'next', 'finish'] as const;
type Phase = (typeof PHASES)[number];
const CLUSTERS = ['primary-a', 'remote-a', 'primary-b', 'remote-b'];
const ROOT_CERT = 'root-cert.pem';
const ROOT_KEY = 'root-key.sops.yaml';
const NEXT_CERT = 'root-cert.next.pem';
const NEXT_KEY = 'root-key.next.sops.yaml';

const hasGit = hasCommand('git', ['--version']);

const opKey = (): string => join(fixture().dir, 'operator.agekey');
const identities = (): string[] => [fixture().operator.identity];
/** The operator's identity as a file, and none in SOPS_AGE_KEY that could hide a missing one. */
const env = (): NodeJS.ProcessEnv => ({ SOPS_AGE_KEY_FILE: opKey(), SOPS_AGE_KEY: undefined });

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' });
}

/** Runs the built CLI in `cwd` with the operator's identity; with `kill`, sends SIGKILL when it says so. */
const cli = (args: string[], cwd: string, kill?: Killer): Promise<Run> => runBuilt(args, cwd, env(), kill);

/**
 * SIGKILL as soon as the transaction's journal is renamed into place (its commit point): whatever
 * the phase has moved into pki/ by the time the signal lands, recovery must roll it forward.
 */
const atCommit = (pki: string): Killer => (child) => {
  let inner: FSWatcher | undefined;
  const outer = watch(pki, (_event, entry) => {
    if (inner !== undefined || entry?.toString() !== TXN_DIR) return;
    try {
      inner = watch(join(pki, TXN_DIR), (_e, name) => {
        if (name?.toString() === 'journal') child.kill('SIGKILL');
      });
      inner.on('error', () => undefined); // the folder went with the transaction
    } catch {
      // the transaction came and went before the watch: the kill misses, as a random one can
    }
  });
  return () => {
    outer.close();
    inner?.close();
  };
};

const spki = (k: ReturnType<typeof createPublicKey>): string => k.export({ type: 'spki', format: 'der' }).toString('base64');
const signs = (root: string, pem: string): boolean => {
  const ca = new X509Certificate(root);
  const cert = new X509Certificate(pem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
};

/**
 * What a store says, with its roots named by where they come from (`old`: the root before the
 * phase; `next`: the new root begin made, when the phase starts with one; `new`: a root this phase
 * made), so that two runs of a phase, which make different keys, say the same. Along the way, every
 * file is checked against the others: each root key is its certificate's, each cluster's
 * intermediate is signed by the root the rotation state says and its key is the certificate's, its
 * chain ends at that root, and its cacerts trusts exactly the roots of the phase, the signing one first.
 */
async function describeStore(pki: string, names: Map<string, string>, where: string): Promise<unknown> {
  const read = fileReader(pki);
  const name = (pem: string): string => names.get(certFingerprint(pem)) ?? 'new';
  const open = async (file: string): Promise<Record<string, string>> =>
    (await decryptObject(parse(read(file)!) as Tree, identities())).stringData as Record<string, string>;
  const rootPem = read(ROOT_CERT)!;
  const nextPem = read(NEXT_CERT);
  const state = readRotation(read, 'pki');
  // The new root's files exist exactly while the state says a rotation is open.
  expect({ cert: nextPem !== undefined, key: read(NEXT_KEY) !== undefined }, `${where}: ${NEXT_CERT} and ${NEXT_KEY} exist iff ${ROTATION_FILE} does`)
    .toEqual({ cert: state !== undefined, key: state !== undefined });
  if (state) {
    expect(state.from, `${where}: ${ROTATION_FILE} replaces ${ROOT_CERT}`).toBe(certFingerprint(rootPem));
    expect(state.to, `${where}: ${ROTATION_FILE} names ${NEXT_CERT}`).toBe(certFingerprint(nextPem!));
  }
  for (const [cert, key] of [[ROOT_CERT, ROOT_KEY], ...(nextPem ? [[NEXT_CERT, NEXT_KEY]] : [])] as [string, string][]) {
    const data = await open(key);
    expect(data['root-cert.pem'], `${where}: the certificate inside ${key} is ${cert}`).toBe(read(cert));
    expect(spki(createPublicKey(createPrivateKey(data['root-key.pem']!))), `${where}: ${key} is ${cert}'s key`).toBe(spki(new X509Certificate(read(cert)!).publicKey));
  }
  const clusters: Record<string, unknown> = {};
  for (const c of CLUSTERS) {
    const certPem = read(`${c}/ca-cert.pem`)!;
    const signing = state && nextPem && state.reissued.includes(c) ? nextPem : rootPem;
    const bundle = [signing, ...(nextPem ? [signing === rootPem ? nextPem : rootPem] : [])];
    expect(signs(signing, certPem), `${where}: ${c}'s intermediate is signed by the ${name(signing)} root, as ${ROTATION_FILE} says`).toBe(true);
    expect(read(`${c}/cert-chain.pem`), `${where}: ${c}/cert-chain.pem is its intermediate and signing root`).toBe(certPem + signing);
    const data = await open(`${c}/cacerts.sops.yaml`);
    expect(data['ca-cert.pem'], `${where}: the certificate inside ${c}/cacerts is ${c}/ca-cert.pem`).toBe(certPem);
    expect(spki(createPublicKey(createPrivateKey(data['ca-key.pem']!))), `${where}: ${c}'s key is its certificate's`).toBe(spki(new X509Certificate(certPem).publicKey));
    expect(data['root-cert.pem'], `${where}: ${c}'s cacerts trusts the roots of the phase, its signing root first`).toBe(bundle.join(''));
    expect(data['cert-chain.pem'], `${where}: ${c}'s cacerts chain`).toBe(certPem + signing);
    clusters[c] = { signedBy: name(signing), trusts: bundle.map(name) };
  }
  return {
    root: name(rootPem),
    next: nextPem === undefined ? null : name(nextPem),
    rotation: state ? { from: names.get(state.from) ?? 'new', to: names.get(state.to) ?? 'new', reissued: [...state.reissued].sort() } : null,
    revocations: ((parse(read('revocations.yaml') ?? 'revocations: []') as { revocations: { holder: string; recipient: string }[] }).revocations)
      .map((r) => ({ holder: r.holder, recipient: names.get(r.recipient) ?? r.recipient })),
    clusters,
  };
}

/** The phase's arguments: the fleet given relative to the repository, as an operator runs it there. */
const phaseArgs = (phase: Phase): string[] => ['pki', 'rotate-root', phase, '--fleet', 'fleet.yaml'];
const fleetOf = (dir: string): string[] => ['--fleet', join(dir, 'fleet.yaml')];

function copyRepo(from: string): string {
  const dir = tempDir('meshfleet-atomic-root-run-');
  cpSync(from, dir, { recursive: true });
  return dir;
}

/** The repository at the start of the next phase: the previous one run, synthesized, checked and committed. */
let base: string;
const tally: Record<string, Record<string, number>> = {};
const count = (phase: string, outcome: string): void => {
  tally[phase] ??= {};
  tally[phase]![outcome] = (tally[phase]![outcome] ?? 0) + 1;
};

describe.skipIf(!hasGit)('kill -9 during rotate-root (needs git)', () => {
  beforeAll(async () => {
    base = tempDir('meshfleet-atomic-root-');
    writeFileSync(join(base, 'fleet.yaml'), withFixtureKeys(exampleText('istio-two-primaries'), ['spec', 'mesh', 'istio', 'ca', 'keyType']));
    const s = await runMain(['synth', ...fleetOf(base)], env());
    expect(s.code, s.err).toBe(0);
    gitCommit(base, 'fleet');
  }, 120_000);

  afterAll(() => {
    if (base) rmSync(base, { recursive: true, force: true });
    console.log(`rotate-root kill -9 outcomes (seed ${SEED}, ${KILLS} seeded kills per phase, then one at the commit point): ${JSON.stringify(tally)}`);
  });

  it.each(PHASES.map((phase, i) => ({ phase, i })))(`$phase: after a kill at any point and the next synth, the store is the one before the phase or the one after it (${KILLS} seeded kills and one at the commit point)`, async ({ phase, i: p }) => {
    const from = base;
    const pkiBefore = join(from, 'pki');
    const before = hashTree(pkiBefore);
    // Roots by origin: the one before the phase and, when a rotation is open, the new one begin made.
    const names = new Map<string, string>([[certFingerprint(readFileSync(join(pkiBefore, ROOT_CERT), 'utf8')), 'old']]);
    if (existsSync(join(pkiBefore, NEXT_CERT))) names.set(certFingerprint(readFileSync(join(pkiBefore, NEXT_CERT), 'utf8')), 'next');
    const beforeShape = await describeStore(pkiBefore, names, `${phase}: before`);

    // The phase uninterrupted, on a copy: what it makes, and how long it takes.
    const probe = copyRepo(from);
    const full = await cli(phaseArgs(phase), probe);
    expect(full.status, `${phase}: ${full.stderr}`).toBe(0);
    const afterTree = hashTree(join(probe, 'pki'));
    const afterShape = await describeStore(join(probe, 'pki'), names, `${phase}: after`);
    expect(afterShape, `${phase} changes the store`).not.toEqual(beforeShape);
    const rewritten = new Set(Object.keys({ ...before, ...afterTree }).filter((f) => before[f] !== afterTree[f]));
    // It becomes the next phase's start: synthesized (pki/ untouched), checked, committed.
    for (const argv of [['synth'], ['check']]) {
      const r = await runMain([...argv, ...fleetOf(probe)], env());
      expect(r.code, `${phase}, uninterrupted, then ${argv[0]}: ${r.err}`).toBe(0);
    }
    expect(hashTree(join(probe, 'pki')), `${phase}: synth leaves a finished phase's store as it is`).toEqual(afterTree);
    gitCommit(probe, phase);
    base = probe;

    const rnd = seededRandom(SEED + p);
    // The seeded kills, then one at the commit point (the roll-forward path, which a random kill rarely hits).
    for (let i = 0; i <= KILLS; i++) {
      const dir = copyRepo(from);
      const pki = join(dir, 'pki');
      const mode = i === KILLS ? 'commit' : i % 2 === 0 ? 'uniform' : 'writing';
      const ms = mode === 'commit' ? 0 : Math.floor(rnd() * (mode === 'uniform' ? full.ms : 40));
      const r = await cli(phaseArgs(phase), dir, mode === 'commit' ? atCommit(pki) : mode === 'uniform' ? after(ms) : onceWriting(pki, (e) => e === TXN_DIR, ms));
      const killed = r.signal ?? `exit ${r.status}`;
      const plan = mode === 'commit' ? `at ${TXN_DIR}/journal` : mode === 'uniform' ? `${ms} ms after start` : `${ms} ms after ${TXN_DIR} appeared`;
      const where = `${phase}, kill ${i} (seed ${SEED + p}, SIGKILL ${plan}): ${killed}`;
      if (r.signal === null) expect(r.status, `${where}\n${r.stderr}`).toBe(0);
      const pending = existsSync(join(pki, TXN_DIR));
      const committed = existsSync(join(pki, TXN_DIR, 'journal'));
      const leftLock = existsSync(join(dir, LOCK_FILE));

      // Read-only: reports an interrupted change and repairs nothing.
      if (pending) {
        const left = hashTree(pki);
        for (const argv of [['pki', 'status'], ['pki', 'rotate-root', 'status']]) {
          const status = await runMain([...argv, ...fleetOf(dir)], env());
          expect(status.code, `${where}: ${argv.join(' ')}`).toBe(1);
          expect(status.err, `${where}: ${argv.join(' ')}`).toMatch(new RegExp(`holds an interrupted change \\(.*${committed ? 'committed: \\d+ file\\(s\\) still to move into place' : 'not committed: it will be rolled back'}.*This command only reads, so it does not repair it: run \`npm run synth\``, 's'));
        }
        expect(hashTree(pki), `${where}: the read-only commands changed nothing`).toEqual(left);
      }

      // The next writing command takes over the lock, completes or rolls back the phase, and renders.
      const next = await runMain(['synth', ...fleetOf(dir)], env());
      expect(next.code, `${where}\n${next.out}${next.err}`).toBe(0);
      if (leftLock) expect(next.err, where).toMatch(new RegExp(`note: took over \\S*\\.meshfleet\\.lock from npm run pki -- rotate-root ${phase} \\(pid \\d+\\), which is no longer running`));
      if (pending) expect(next.out + next.err, where).toMatch(/note: (completed an interrupted change|rolled back an interrupted change|removed the empty)/);
      expect(existsSync(join(pki, TXN_DIR)), `${where}: ${TXN_DIR} is gone`).toBe(false);
      expect(existsSync(join(dir, LOCK_FILE)), `${where}: the lock is released`).toBe(false);

      const now = hashTree(pki);
      const rolledBack = JSON.stringify(now) === JSON.stringify(before);
      if (rolledBack) {
        expect(committed, `${where}: a committed journal is rolled forward, never back`).toBe(false);
        expect(mode === 'commit' && r.signal !== null, `${where}: killed after its commit point, the phase is completed`).toBe(false);
      } else {
        // Completed: the files of an uninterrupted run; those the phase does not rewrite are byte-identical.
        expect(Object.keys(now), `${where}: neither the files before the phase nor those after it`).toEqual(Object.keys(afterTree));
        for (const f of Object.keys(now)) {
          if (rewritten.has(f)) expect(now[f], `${where}: ${f} is rewritten`).not.toBe(before[f]);
          else expect(now[f], `${where}: ${f} is untouched`).toBe(before[f]);
        }
      }
      expect(await describeStore(pki, names, where), `${where}: the store says what the ${rolledBack ? 'one before' : 'one after'} the phase says`).toEqual(rolledBack ? beforeShape : afterShape);
      for (const argv of [['pki', 'status'], ['pki', 'rotate-root', 'status']]) {
        const s = await runMain([...argv, ...fleetOf(dir)], env());
        expect(s.code, `${where}: ${argv.join(' ')}\n${s.out}${s.err}`).toBe(0);
        expect(s.out, `${where}: ${argv.join(' ')}`).not.toMatch(/\bNO\b|unknown/);
      }
      count(phase, `${mode === 'commit' ? 'at commit: ' : ''}${killed}, ${pending ? (committed ? 'committed transaction' : 'uncommitted transaction') : 'no transaction'}, ${rolledBack ? 'rolled back' : 'completed'}`);

      if (rolledBack) {
        // synth rendered the store as committed, so the phase starts again from a committed one, and completes.
        expect(git(dir, 'status', '--porcelain', '--untracked-files=all', '--', 'pki', 'dist'), `${where}: pki/ and dist/ as committed`).toBe('');
        const again = await runMain([...phaseArgs(phase).slice(0, 3), ...fleetOf(dir)], env());
        expect(again.code, `${where}: the phase again\n${again.out}${again.err}`).toBe(0);
        expect(Object.keys(hashTree(pki)), `${where}: the phase again`).toEqual(Object.keys(afterTree));
        expect(await describeStore(pki, names, `${where}, the phase again`)).toEqual(afterShape);
      }
      for (const argv of [['synth'], ['check']]) {
        const s = await runMain([...argv, ...fleetOf(dir)], env());
        expect(s.code, `${where}: ${argv[0]} ${rolledBack ? 'after the phase again' : 'of the completed phase'}\n${s.out}${s.err}`).toBe(0);
      }
      rmSync(dir, { recursive: true, force: true });
    }
    rmSync(from, { recursive: true, force: true });
  }, 300_000);
});
