/**
 * Issue 14, item 6: commands killed with SIGKILL at random points, real processes (the built CLI,
 * as `npm run …` runs it). After each kill the next command reports (read-only `pki status`) or
 * repairs (synth, under the lock) the interrupted change, and the store is consistent: every
 * certificate matches its key (decrypted with the test identities and compared), no key is lost
 * (an identity that opened everything before opens everything after), `pki status` is honest.
 *
 * Kill points are seeded (MESHFLEET_KILL_SEED, printed): half of the kills are spread uniformly
 * over the command's measured runtime, half fire a random 0–40 ms after the command starts
 * writing (its transaction or staging folder appears), where the window that matters is.
 * MESHFLEET_KILL_ITERATIONS (default 8, which keeps `npm test` in its budget; .ci/run sets 20) sets the kills per command. ECDSA keys keep it quick.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { synth } from '../../lib/cli/synth';
import { LOCK_FILE } from '../../lib/output/lock';
import { TXN_DIR } from '../../lib/pki/transaction';
import { decryptObject, recipientsOf, type Tree } from '../../lib/sops/sops';
import { editFleet, fixture, hasCommand, hashTree, runMain, seededRandom, tempDir } from '../helpers';
import { after, onceWriting, RUN, runBuilt } from '../kill';

const ITERATIONS = Number(process.env.MESHFLEET_KILL_ITERATIONS ?? 8);
const SEED = Number(process.env.MESHFLEET_KILL_SEED ?? 14_6);
const CLUSTERS = ['kt-k2p', 'ncloud-nks', 'nhn-nks'];

/** Seeded, so a failing kill point can be replayed. */
const prng = seededRandom;

const ecdsaFleet = (): string => editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'ca'], d.createNode({ keyType: 'ecdsa-p256' })), fixture().fleetText);
const opKeyFile = (): string => join(fixture().dir, 'operator.agekey');

/** Runs the built CLI in `cwd`; with `kill`, sends SIGKILL when it says so. */
const cli = runBuilt;

const run = runMain;

const spki = (k: ReturnType<typeof createPublicKey>): string => k.export({ type: 'spki', format: 'der' }).toString('base64');

/**
 * The store is consistent: every cluster's public intermediate is the certificate inside its
 * cacerts and the key inside is that certificate's, the chain file is intermediate + root, and the
 * root key belongs to root-cert.pem. `identities` must open every file (no key lost).
 */
async function assertConsistent(pki: string, identities: string[]): Promise<void> {
  const rootPem = readFileSync(join(pki, 'root-cert.pem'), 'utf8');
  const rootKey = (await decryptObject(parse(readFileSync(join(pki, 'root-key.sops.yaml'), 'utf8')) as Tree, identities)).stringData as Record<string, string>;
  expect(rootKey['root-cert.pem']).toBe(rootPem);
  expect(spki(createPublicKey(createPrivateKey(rootKey['root-key.pem']!)))).toBe(spki(new X509Certificate(rootPem).publicKey));
  for (const c of CLUSTERS) {
    const certPem = readFileSync(join(pki, c, 'ca-cert.pem'), 'utf8');
    const data = (await decryptObject(parse(readFileSync(join(pki, c, 'cacerts.sops.yaml'), 'utf8')) as Tree, identities)).stringData as Record<string, string>;
    expect(data['ca-cert.pem'], `${c}: the certificate inside cacerts is pki/${c}/ca-cert.pem`).toBe(certPem);
    expect(spki(createPublicKey(createPrivateKey(data['ca-key.pem']!))), `${c}: the key is the certificate's`).toBe(spki(new X509Certificate(certPem).publicKey));
    expect(readFileSync(join(pki, c, 'cert-chain.pem'), 'utf8')).toBe(certPem + rootPem);
    expect(new X509Certificate(certPem).verify(new X509Certificate(rootPem).publicKey)).toBe(true);
  }
}

/** The encrypted files of the store that `identities` cannot open. */
async function unopenable(pki: string, identities: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const f of Object.keys(hashTree(pki)).filter((p) => p.endsWith('.sops.yaml') && !p.startsWith(TXN_DIR))) {
    try {
      await decryptObject(parse(readFileSync(join(pki, f), 'utf8')) as Tree, identities);
    } catch {
      out.push(f);
    }
  }
  return out;
}

const hasAge = hasCommand('age', ['--version']);

/** Whether the real age CLI opens the file's SOPS data key with the identity file (through any of its recipient stanzas). */
function ageOpens(file: string, identityFile: string): boolean {
  const { age } = (parse(readFileSync(file, 'utf8')) as { sops: { age: { enc: string }[] } }).sops;
  return age.some(({ enc }) => spawnSync('age', ['--decrypt', '--identity', identityFile], { input: enc }).status === 0);
}

/** Nothing a command leaves behind while it runs: no transaction, no lock, no staging folder. */
function assertClean(dir: string): void {
  expect(existsSync(join(dir, 'pki', TXN_DIR))).toBe(false);
  expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  expect(readdirSync(dir).filter((e) => e.includes('.meshfleet-staging'))).toEqual([]);
}

let base: string;
let reference: Record<string, string>;
const tally: Record<string, Record<string, number>> = {};
const count = (cmd: string, outcome: string): void => {
  tally[cmd] ??= {};
  tally[cmd]![outcome] = (tally[cmd]![outcome] ?? 0) + 1;
};

beforeAll(async () => {
  // The built CLI (what `npm run` runs), built once here rather than by the first killed process.
  const built = spawnSync(process.execPath, [RUN, '--version'], { encoding: 'utf8' });
  expect(built.status, built.stderr).toBe(0);
  base = tempDir('meshfleet-atomic-');
  writeFileSync(join(base, 'fleet.yaml'), ecdsaFleet());
  await synth({ fleet: join(base, 'fleet.yaml'), out: join(base, 'dist'), check: false });
  reference = hashTree(join(base, 'dist'));
}, 120_000);

afterAll(() => {
  console.log(`kill -9 outcomes (seed ${SEED}, ${ITERATIONS} per command): ${JSON.stringify(tally)}`);
});

function copyBase(): string {
  const dir = tempDir('meshfleet-atomic-run-');
  cpSync(base, dir, { recursive: true });
  return dir;
}

/** The kill plan of iteration `i`: uniform over the runtime, or shortly after writing starts. */
function killPlan(i: number, rnd: () => number, runtime: number, watchDir: string, entry: (e: string) => boolean): (child: ReturnType<typeof spawn>) => () => void {
  return i % 2 === 0 ? after(Math.floor(rnd() * runtime)) : onceWriting(watchDir, entry, Math.floor(rnd() * 40));
}

describe('kill -9', () => {
  it(`during \`pki rotate\`: the next command reports or completes it; certificate and key always match (${ITERATIONS} kills)`, async () => {
    const rnd = prng(SEED);
    const env = { SOPS_AGE_KEY_FILE: opKeyFile() };
    const probe = copyBase();
    const full = await cli(['pki', 'rotate', 'kt-k2p', '--fleet', 'fleet.yaml'], probe, env);
    expect(full.status, full.stderr).toBe(0);
    const old = hashTree(join(base, 'pki'));
    for (let i = 0; i < ITERATIONS; i++) {
      const dir = copyBase();
      const pki = join(dir, 'pki');
      const r = await cli(['pki', 'rotate', 'kt-k2p', '--fleet', 'fleet.yaml'], dir, env, killPlan(i, rnd, full.ms, pki, (e) => e === TXN_DIR));
      const where = `iteration ${i} (seed ${SEED}): ${r.signal ?? `exit ${r.status}`}`;
      // Read-only: reports an interrupted change, repairs nothing.
      const pending = existsSync(join(pki, TXN_DIR));
      const status = await run(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')], env);
      if (pending) {
        expect(status.code, where).toBe(1);
        expect(status.err, where).toMatch(/holds an interrupted change .*This command only reads, so it does not repair it: run `npm run synth`/s);
        expect(existsSync(join(pki, TXN_DIR)), where).toBe(true);
      } else {
        expect(status.code, `${where}\n${status.out}${status.err}`).toBe(0);
      }
      // The next writing command takes over the dead command's lock, completes or rolls back its change, and renders.
      const leftLock = existsSync(join(dir, LOCK_FILE));
      const next = await run(['synth', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
      expect(next.code, `${where}\n${next.err}`).toBe(0);
      if (leftLock) expect(next.err, where).toMatch(/note: took over \S*\.meshfleet\.lock from npm run pki -- rotate kt-k2p \(pid \d+\), which is no longer running/);
      if (pending) expect(next.out, where).toMatch(/^note: (completed an interrupted change|rolled back an interrupted change|removed the empty)/);
      assertClean(dir);
      await assertConsistent(pki, [fixture().operator.identity]);
      const now = hashTree(pki);
      const changed = Object.keys(now).filter((f) => now[f] !== old[f]).sort();
      // All or nothing: the rotation happened entirely (kt-k2p's three files) or not at all.
      expect([[], ['kt-k2p/ca-cert.pem', 'kt-k2p/cacerts.sops.yaml', 'kt-k2p/cert-chain.pem']], where).toContainEqual(changed);
      count('pki rotate', `${r.signal ?? `exit ${r.status}`}, ${pending ? 'interrupted transaction' : 'no transaction'}, ${changed.length > 0 ? 'rotated' : 'not rotated'}`);
      const after = await run(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')], env);
      expect(after.code, where).toBe(0);
      expect(after.out).not.toMatch(/\bNO\b|unknown/);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it(`during \`pki rekey\` to a new operator: the store is entirely on the old or entirely on the new key, and the next rekey finishes it (${ITERATIONS} kills)`, async () => {
    const rnd = prng(SEED + 1);
    const f = fixture();
    // The operator changes: the old identity opens everything now, the new one must after the rekey.
    const fleetText = editFleet((d) => d.setIn(['spec', 'secrets', 'operators'], d.createNode([f.extra.recipient])), ecdsaFleet());
    const keys = tempDir();
    const newKey = join(keys, 'new.agekey');
    writeFileSync(newKey, `${f.extra.identity}\n`);
    const env = { SOPS_AGE_KEY_FILE: opKeyFile() };
    const probe = copyBase();
    writeFileSync(join(probe, 'fleet.yaml'), fleetText);
    const full = await cli(['pki', 'rekey', '--fleet', 'fleet.yaml'], probe, env);
    expect(full.status, full.stderr).toBe(0);
    for (let i = 0; i < ITERATIONS; i++) {
      const dir = copyBase();
      const pki = join(dir, 'pki');
      writeFileSync(join(dir, 'fleet.yaml'), fleetText);
      const r = await cli(['pki', 'rekey', '--fleet', 'fleet.yaml'], dir, env, killPlan(i, rnd, full.ms, pki, (e) => e === TXN_DIR));
      const where = `iteration ${i} (seed ${SEED + 1}): ${r.signal ?? `exit ${r.status}`}`;
      const pending = existsSync(join(pki, TXN_DIR));
      // synth is the next command: it completes or rolls back first, then either renders (rekey done)
      // or says that a rekey is needed (rolled back) — never a store split between the two keys.
      const next = await run(['synth', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
      expect(existsSync(join(pki, TXN_DIR)), where).toBe(false);
      const oldMissing = await unopenable(pki, [f.operator.identity]);
      const newMissing = await unopenable(pki, [f.extra.identity]);
      const done = newMissing.length === 0 && oldMissing.length > 0;
      expect(done || oldMissing.length === 0, `${where}: the old key cannot open ${oldMissing.join(', ')} and the new key cannot open ${newMissing.join(', ')}`).toBe(true);
      if (done) expect(next.code, `${where}\n${next.err}`).toBe(0);
      else expect(next.err, where).toMatch(/must be re-encrypted to the recipients fleet.yaml names|run `SOPS_AGE_KEY_FILE=<operator key file> npm run (pki -- rekey|synth)`/);
      if (hasAge) {
        // The same, seen by the real age CLI, for the root key (operators only) and a cluster's intermediate.
        for (const file of ['root-key.sops.yaml', 'kt-k2p/cacerts.sops.yaml']) {
          expect(ageOpens(join(pki, file), opKeyFile()), `${where}: old key, ${file}`).toBe(!done);
          expect(ageOpens(join(pki, file), newKey), `${where}: new key, ${file}`).toBe(done);
        }
      }
      count('pki rekey', `${r.signal ?? `exit ${r.status}`}, ${pending ? 'interrupted transaction' : 'no transaction'}, ${done ? 'rekeyed' : 'not rekeyed'}`);
      // The same rekey again, by the same operator with the old key only, finishes it: where the
      // interrupted one completed (or recovery completed it), it has nothing left to do and says so
      // (issue 21 item 10), rather than failing to open files no longer encrypted to that key.
      const again = await run(['pki', 'rekey', '--fleet', join(dir, 'fleet.yaml')], env);
      expect(again.code, `${where}\n${again.err}`).toBe(0);
      if (done) expect(again.out, where).toContain('nothing to re-encrypt');
      expect(await unopenable(pki, [f.extra.identity])).toEqual([]);
      await assertConsistent(pki, [f.extra.identity]);
      for (const file of Object.keys(hashTree(pki)).filter((p) => p.endsWith('.sops.yaml'))) {
        expect(recipientsOf(parse(readFileSync(join(pki, file), 'utf8')) as Tree), `${where}: ${file}`).not.toContain(f.operator.recipient);
      }
      const synthAgain = await run(['synth', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
      expect(synthAgain.code, `${where}\n${synthAgain.err}`).toBe(0);
      assertClean(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);

  it(`during synth: the rerun writes a tree byte-identical to an uninterrupted one (${ITERATIONS} kills)`, async () => {
    const rnd = prng(SEED + 2);
    const probe = copyBase();
    rmSync(join(probe, 'dist'), { recursive: true });
    const full = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], probe, {});
    expect(full.status, full.stderr).toBe(0);
    expect(hashTree(join(probe, 'dist'))).toEqual(reference);
    for (let i = 0; i < ITERATIONS; i++) {
      const dir = copyBase();
      rmSync(join(dir, 'dist'), { recursive: true });
      const r = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {}, killPlan(i, rnd, full.ms, dir, (e) => e.startsWith('dist.meshfleet-staging')));
      const where = `iteration ${i} (seed ${SEED + 2}): ${r.signal ?? `exit ${r.status}`}`;
      const leftLock = existsSync(join(dir, LOCK_FILE));
      const partial = existsSync(join(dir, 'dist')) ? Object.keys(hashTree(join(dir, 'dist'))).length : 0;
      const next = await run(['synth', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
      expect(next.code, `${where}\n${next.err}`).toBe(0);
      if (leftLock) expect(next.err, where).toMatch(/note: took over \S*\.meshfleet\.lock from npm run synth \(pid \d+\), which is no longer running/);
      expect(hashTree(join(dir, 'dist')), where).toEqual(reference);
      assertClean(dir);
      count('synth', `${r.signal ?? `exit ${r.status}`}, ${partial === 0 ? 'no files yet' : partial === Object.keys(reference).length ? 'all files' : 'partial tree'}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});

describe('one writing command at a time', () => {
  it('a second command refuses at once, naming the holder; nothing is written', async () => {
    const dir = copyBase();
    rmSync(join(dir, 'dist'), { recursive: true });
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid: process.pid, command: 'npm run pki -- rotate kt-k2p', hostname: (await import('node:os')).hostname() })}\n`);
    const before = hashTree(dir);
    const r = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`error: another meshfleet command (npm run pki -- rotate kt-k2p, pid ${process.pid}) is working in this repository; wait for it, or if it is gone delete .meshfleet.lock`);
    const rotate = await cli(['pki', 'rotate', 'kt-k2p', '--fleet', 'fleet.yaml'], dir, { SOPS_AGE_KEY_FILE: opKeyFile() });
    expect(rotate.status).toBe(1);
    expect(rotate.stderr).toMatch(/another meshfleet command \(npm run pki -- rotate kt-k2p, pid \d+\) is working in this repository/);
    expect(hashTree(dir)).toEqual(before);
    // Read-only commands take no lock.
    const status = await cli(['pki', 'status', '--fleet', 'fleet.yaml'], dir, {});
    expect(status.status, status.stderr).toBe(0);
  }, 120_000);

  it('a lock whose process is gone is taken over with a note, and released after', async () => {
    const dir = copyBase();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid: Number(gone.stdout), command: 'npm run synth', hostname: (await import('node:os')).hostname() })}\n`);
    const r = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: took over .meshfleet.lock from npm run synth (pid ${gone.stdout}), which is no longer running`);
    assertClean(dir);
  }, 120_000);

  /**
   * The command is killed with SIGKILL while it holds the lock, under a parent that never reaps it
   * (`exec sleep`: as under a container init that does not reap), so it stays a zombie.
   */
  async function killedToZombie(args: string[], dir: string, env: NodeJS.ProcessEnv): Promise<{ pid: number; parent: ReturnType<typeof spawn> }> {
    const script = `${shellQuote(process.execPath)} ${[RUN, ...args].map(shellQuote).join(' ')} >/dev/null 2>&1 & echo $!; exec sleep 300`;
    const parent = spawn('sh', ['-c', script], { cwd: dir, env: { ...process.env, ...env } });
    const pid = await new Promise<number>((res) => parent.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    await new Promise<void>((res) => {
      const poll = setInterval(() => {
        if (existsSync(join(dir, LOCK_FILE))) {
          clearInterval(poll);
          res();
        }
      }, 5);
    });
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 200 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8'), 'the killed command is a zombie').toMatch(/\) Z /);
    expect(existsSync(join(dir, LOCK_FILE)), 'it left its lock').toBe(true);
    return { pid, parent };
  }
  const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

  it.runIf(process.platform === 'linux')('kill -9 leaving a zombie (never reaped): the same command then succeeds, for synth and pki rotate', async () => {
    const dir = copyBase();
    rmSync(join(dir, 'dist'), { recursive: true });
    const s = await killedToZombie(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {});
    try {
      const r = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {});
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`note: took over .meshfleet.lock from npm run synth (pid ${s.pid}), which is no longer running`);
      expect(hashTree(join(dir, 'dist'))).toEqual(reference);
    } finally {
      s.parent.kill('SIGKILL');
    }
    const env = { SOPS_AGE_KEY_FILE: opKeyFile() };
    const p = await killedToZombie(['pki', 'rotate', 'kt-k2p', '--fleet', 'fleet.yaml'], dir, env);
    try {
      const r = await cli(['pki', 'rotate', 'kt-k2p', '--fleet', 'fleet.yaml'], dir, env);
      expect(r.status, r.stderr).toBe(0);
      assertClean(dir);
      await assertConsistent(join(dir, 'pki'), [fixture().operator.identity]);
    } finally {
      p.parent.kill('SIGKILL');
    }
  }, 120_000);

  it('SIGTERM releases the lock', async () => {
    const dir = copyBase();
    rmSync(join(dir, 'dist'), { recursive: true });
    const r = await cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {}, (child) => {
      let sent = false;
      const w = watch(dir, (_e, entry) => {
        if (!sent && entry?.toString() === LOCK_FILE) sent = child.kill('SIGTERM');
      });
      return () => w.close();
    });
    // 143: the handler released the lock and exited (0: the synth was done before the signal).
    expect([0, 143], `${r.status} ${r.signal} ${r.stderr}`).toContain(r.status);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  }, 120_000);

  it('two synths on one --out: each finishes or refuses with the lock message, never a crash; the tree is complete', async () => {
    let refused = 0;
    for (let i = 0; i < 4; i++) {
      const dir = copyBase();
      rmSync(join(dir, 'dist'), { recursive: true });
      const [a, b] = await Promise.all([cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {}), cli(['--fleet', 'fleet.yaml', '--out', 'dist'], dir, {})]);
      for (const r of [a!, b!]) {
        if (r.status !== 0) {
          expect(r.status, r.stderr).toBe(1);
          expect(r.stderr).toMatch(/error: another meshfleet command \(npm run synth, pid \d+\) is working in this repository; wait for it, or if it is gone delete \.meshfleet\.lock/);
          refused++;
        }
      }
      expect([a!.status, b!.status]).toContain(0);
      expect(hashTree(join(dir, 'dist'))).toEqual(reference);
      assertClean(dir);
    }
    console.log(`two concurrent synths: ${refused} of 4 pairs overlapped (one refused)`);
  }, 300_000);
});
