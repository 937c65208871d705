/**
 * Start-up, speed and memory of synth, as a table (issue 13): for generated fleets of 3, 10, 30
 * and 100 clusters, meshfleet's in-memory synth (load, plan, render, validate: what
 * `npm run synth -- --check` does before comparing) next to the bare cdk8s floor for the same
 * objects (scripts/bench-floor.ts), both bundled into build/ the same way (scripts/build.mjs) and
 * each run as its own `node` child, so start-up is included; wall time, CPU time and peak RSS; then
 * the per-cluster slope and the user's commands on the default fleet.
 *
 * Usage: npm run bench [-- --runs 3]
 *
 * Targets are for the 2-core machines this project runs on; they are reported, not asserted,
 * because timing belongs in a benchmark and not in the test suite. Warm file cache: each case
 * runs once untimed first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { parseDocument } from 'yaml';
import { ensureBuilt, ROOT } from './build.mjs';

const SIZES = [3, 10, 30, 100];
const TARGET = { defaultRatio: 1.3, defaultS: 0.6, s100: 3, mib100: 400, checkS: 2, pkiEcdsa100S: 1, written100S: 3, unchanged100S: 1.5 };

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Math.max(1, Number(values.runs));
const base = readFileSync(join(ROOT, 'fleet.yaml'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'meshfleet-bench-'));
const RSS = join(work, 'rss');
const RSS_HOOK = join(ROOT, 'scripts', 'bench-rss.cjs');

/** One age recipient per added cluster: every cluster's key must be its own (fleet.yaml's rules). */
const RECIPIENTS = await Promise.all(Array.from({ length: Math.max(...SIZES) }, async () => identityToRecipient(await generateX25519Identity())));

/** The default fleet with clusters added until it has `n`, each with its own key, network and pool. */
function fleetOf(n: number): string {
  const doc = parseDocument(base);
  const clusters = doc.getIn(['spec', 'clusters']) as { items: unknown[]; add(v: unknown): void };
  for (let i = clusters.items.length; i < n; i++) {
    clusters.add(doc.createNode({
      name: `bench-${i}`,
      apiServer: `https://bench-${i}.example.com:6443`,
      ageRecipient: RECIPIENTS[i]!,
      cni: i % 2 === 0 ? 'cilium' : 'calico',
      gateway: { address: `198.18.${Math.floor(i / 200)}.${i % 200 + 1}` },
      metallb: { addresses: [`198.18.${Math.floor(i / 200)}.${i % 200 + 1}/32`] },
    }));
  }
  return doc.toString();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Measured { readonly s: number; readonly cpu: number; readonly mib: number; readonly stdout: string; readonly stdouts: readonly string[] }

/**
 * Runs each `node args` once untimed (warm cache), then `runs` times, the commands taking turns so
 * that both see the same load on a shared machine (`before` runs, untimed, ahead of each); per
 * command the median wall time, CPU time (user + system: what the work costs, much less disturbed
 * by other load than wall time) and peak RSS, and what each timed run printed.
 */
function measure(commands: string[][], before: () => void = () => {}): Measured[] {
  const samples = commands.map(() => ({ times: [] as number[], cpus: [] as number[], rss: [] as number[], stdouts: [] as string[] }));
  for (let r = -1; r < runs; r++) {
    commands.forEach((args, i) => {
      before();
      const start = performance.now();
      const p = spawnSync(process.execPath, ['--require', RSS_HOOK, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, MESHFLEET_BENCH_RSS: RSS } });
      const s = (performance.now() - start) / 1000;
      if (p.status !== 0) throw new Error(`node ${args.join(' ')} failed (${String(p.status)}):\n${p.stderr}`);
      if (r < 0) return;
      const sample = samples[i]!;
      sample.stdouts.push(p.stdout);
      sample.times.push(s);
      const [maxRss, cpu] = readFileSync(RSS, 'utf8').split(' ').map(Number);
      sample.rss.push(maxRss! / 1024);
      sample.cpus.push(cpu! / 1e6);
    });
  }
  return samples.map((x) => ({ s: median(x.times), cpu: median(x.cpus), mib: median(x.rss), stdout: x.stdouts.at(-1)!, stdouts: x.stdouts }));
}

const synthJs = await ensureBuilt('scripts/bench-synth.ts');
const floorJs = await ensureBuilt('scripts/bench-floor.ts');
const pkiJs = await ensureBuilt('scripts/bench-pki.ts');
const runJs = join(ROOT, 'scripts', 'run.mjs');
await ensureBuilt('main.ts');

const rows: string[][] = [];
const results = new Map<number, { mesh: Measured; floor: Measured }>();
for (const n of SIZES) {
  const fleet = join(work, `fleet-${n}.yaml`);
  const objects = join(work, `objects-${n}.json`);
  writeFileSync(fleet, fleetOf(n));
  spawnSync(process.execPath, [synthJs, fleet, '--dump', objects], { stdio: 'ignore' });
  const [mesh, floor] = measure([[synthJs, fleet], [floorJs, objects]]) as [Measured, Measured];
  results.set(n, { mesh, floor });
  const count = (JSON.parse(mesh.stdout) as { objects: number }).objects;
  rows.push([String(n), String(count), mesh.s.toFixed(2), mesh.mib.toFixed(0), floor.s.toFixed(2), floor.mib.toFixed(0), (mesh.s / floor.s).toFixed(2),
    mesh.cpu.toFixed(2), floor.cpu.toFixed(2), (mesh.cpu / floor.cpu).toFixed(2)]);
}

const head = ['clusters', 'objects', 'meshfleet s', 'meshfleet MiB', 'cdk8s floor s', 'floor MiB', 'ratio', 'meshfleet CPU s', 'floor CPU s', 'CPU ratio'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));

const first = results.get(SIZES[0]!)!;
const last = results.get(SIZES.at(-1)!)!;
const span = SIZES.at(-1)! - SIZES[0]!;
console.log(`\nper-cluster slope (${SIZES[0]}→${SIZES.at(-1)} clusters): meshfleet ${((last.mesh.s - first.mesh.s) / span * 1000).toFixed(1)} ms and ${((last.mesh.mib - first.mesh.mib) / span).toFixed(2)} MiB per cluster; floor ${((last.floor.s - first.floor.s) / span * 1000).toFixed(1)} ms per cluster; CPU: meshfleet ${((last.mesh.cpu - first.mesh.cpu) / span * 1000).toFixed(1)} ms, floor ${((last.floor.cpu - first.floor.cpu) / span * 1000).toFixed(1)} ms per cluster`);

// The user's commands on the committed default fleet, through the launcher (build is fresh).
const [synthCheck, check] = measure([[runJs, '--check'], [runJs, 'check']]) as [Measured, Measured];
const ok = (pass: boolean): string => (pass ? 'ok' : 'MISSED');
console.log(`\nnpm run synth -- --check (default fleet): ${synthCheck.s.toFixed(2)} s (CPU ${synthCheck.cpu.toFixed(2)} s), ${synthCheck.mib.toFixed(0)} MiB`);
console.log(`npm run check           (default fleet): ${check.s.toFixed(2)} s (CPU ${check.cpu.toFixed(2)} s), ${check.mib.toFixed(0)} MiB`);
// pki init: a fresh process that loads a 100-cluster ECDSA fleet and creates its CA store on disk,
// as the first synth does before it renders (scripts/bench-pki.ts); the whole process is timed.
const pkiDir = join(work, 'pki-init');
mkdirSync(pkiDir, { recursive: true });
const ecdsa = parseDocument(fleetOf(100));
ecdsa.setIn(['spec', 'mesh', 'istio', 'ca'], ecdsa.createNode({ keyType: 'ecdsa-p256' }));
writeFileSync(join(pkiDir, 'fleet.yaml'), ecdsa.toString());
const [pki] = measure([[pkiJs, join(pkiDir, 'fleet.yaml'), join(pkiDir, 'pki')]], () => rmSync(join(pkiDir, 'pki'), { recursive: true, force: true })) as [Measured];
const phases = pki.stdouts.map((out) => JSON.parse(out) as { loadS: number; createS: number; writeS: number });
const pkiInit = pki.s;
const phase = (k: 'loadS' | 'createS' | 'writeS'): string => median(phases.map((x) => x[k])).toFixed(2);
console.log(`pki init (100 clusters, ECDSA P-256, fresh process): ${pkiInit.toFixed(2)} s (CPU ${pki.cpu.toFixed(2)} s): load the fleet ${phase('loadS')} s, keys, certificates and encryption ${phase('createS')} s, write ${phase('writeS')} s, the rest start-up`);
// The written synth a user waits for: the whole command (bundled main.cjs, the store already made),
// 100 clusters into an empty output folder (every file new), and again into the unchanged folder.
const writeDir = join(work, 'written');
mkdirSync(writeDir, { recursive: true });
writeFileSync(join(writeDir, 'fleet.yaml'), ecdsa.toString());
const mainJs = join(ROOT, 'build', 'main.cjs');
const synthArgs = [mainJs, '--fleet', join(writeDir, 'fleet.yaml'), '--out', join(writeDir, 'dist')];
spawnSync(process.execPath, synthArgs, { stdio: 'ignore' });
const [written] = measure([synthArgs], () => rmSync(join(writeDir, 'dist'), { recursive: true, force: true })) as [Measured];
const [unchanged] = measure([synthArgs]) as [Measured];
const fileCount = /into \S+: (\d+) written/.exec(written.stdout)?.[1] ?? '?';
console.log(`synth written (100 clusters, ${fileCount} files) into an empty folder: ${written.s.toFixed(2)} s (CPU ${written.cpu.toFixed(2)} s), ${written.mib.toFixed(0)} MiB; into the unchanged folder: ${unchanged.s.toFixed(2)} s (CPU ${unchanged.cpu.toFixed(2)} s)`);
console.log('\ntargets:');
console.log(`  default fleet synth ≤ ${TARGET.defaultRatio}× floor and ≤ ${TARGET.defaultS} s: ${(first.mesh.s / first.floor.s).toFixed(2)}× (CPU ${(first.mesh.cpu / first.floor.cpu).toFixed(2)}×), ${first.mesh.s.toFixed(2)} s  ${ok(first.mesh.s / first.floor.s <= TARGET.defaultRatio && first.mesh.s <= TARGET.defaultS)}`);
console.log(`  100 clusters ≤ ${TARGET.s100} s and ≤ ${TARGET.mib100} MB peak RSS: ${last.mesh.s.toFixed(2)} s, ${(last.mesh.mib * 1.048576).toFixed(0)} MB  ${ok(last.mesh.s <= TARGET.s100 && last.mesh.mib * 1.048576 <= TARGET.mib100)}`);
console.log(`  npm run check ≤ ${TARGET.checkS} s: ${check.s.toFixed(2)} s  ${ok(check.s <= TARGET.checkS)}`);
console.log(`  pki init, 100 clusters ECDSA ≤ ${TARGET.pkiEcdsa100S} s: ${pkiInit.toFixed(2)} s  ${ok(pkiInit <= TARGET.pkiEcdsa100S)}`);
console.log(`  written synth, 100 clusters, empty folder ≤ ${TARGET.written100S} s: ${written.s.toFixed(2)} s  ${ok(written.s <= TARGET.written100S)}`);
console.log(`  written synth, 100 clusters, unchanged folder ≤ ${TARGET.unchanged100S} s: ${unchanged.s.toFixed(2)} s  ${ok(unchanged.s <= TARGET.unchanged100S)}`);
console.log(`\nmedian of ${runs} run(s) after one warm-up, each a fresh \`node\` process; Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}, ${cpus().length} CPUs.`);
rmSync(work, { recursive: true, force: true });
