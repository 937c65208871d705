/**
 * Synth speed and memory, as a table: load + plan + render + validate (in memory, no disk) for the
 * default fleet and for generated fleets of 10 and 50 clusters, against the targets below.
 *
 * Usage: npm run bench [-- --runs 5]
 *
 * Targets are for the 2-core machines this project runs on; they are reported, not asserted,
 * because timing belongs in a benchmark and not in the test suite.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { loadFleet } from '../lib/pipeline';
import { renderFleet } from '../lib/pipeline';
import { SchemaValidator } from '../lib/render/validate';

const TARGETS: Record<number, { ms: number; mib: number }> = {
  3: { ms: 1000, mib: 400 },
  10: { ms: 2000, mib: 500 },
  50: { ms: 8000, mib: 800 },
};

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Math.max(1, Number(values.runs));
const base = readFileSync(new URL('../fleet.yaml', import.meta.url), 'utf8');

/** The default fleet with clusters added until it has `n`, each with its own network and pool. */
function fleetOf(n: number): string {
  const doc = parseDocument(base);
  const clusters = doc.getIn(['spec', 'clusters']) as { items: unknown[]; add(v: unknown): void };
  for (let i = clusters.items.length; i < n; i++) {
    clusters.add(doc.createNode({
      name: `bench-${i}`,
      apiServer: `https://bench-${i}.example.com:6443`,
      ageRecipient: 'age17rphktetg97yhjk8l5mxtnc5ypa6eyhk5gntd0g4r30g8tq5agnq9nuxmf',
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

const rows: string[][] = [];
// One-time cost, paid once per process: reading and indexing the generated schemas.
const t0 = performance.now();
const validator = new SchemaValidator();
rows.push(['schema load', '-', `${(performance.now() - t0).toFixed(0)}`, '-', '-', '-']);

for (const n of [3, 10, 50]) {
  const text = fleetOf(n);
  const times: number[] = [];
  let files = 0;
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    const rendered = renderFleet(loadFleet(text), { repoPath: 'dist' }, validator);
    times.push(performance.now() - start);
    files = rendered.files.size;
  }
  const rss = process.memoryUsage().rss / 2 ** 20;
  const target = TARGETS[n]!;
  const ms = median(times);
  rows.push([`synth ${n} clusters`, String(files), ms.toFixed(0), String(target.ms), rss.toFixed(0), `${String(target.mib)}${ms > target.ms || rss > target.mib ? '  MISSED' : ''}`]);
}

const head = ['case', 'files', 'median ms', 'target ms', 'rss MiB', 'target MiB'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(head));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log(`\n${runs} run(s) per case, Node ${process.version}, in memory (no disk writes).`);
