/**
 * One timed child of `npm run bench` (bundled into build/ like main.ts): what `npm run synth --
 * --check` does before it compares, in memory: load, plan, render, validate a fleet file.
 *
 *   node build/bench-synth.js <fleet.yaml> [--dump <objects.json>]
 *
 * --dump writes every emitted object as JSON, for the cdk8s floor (scripts/bench-floor.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadFleet, renderFleet } from '../lib/pipeline';

const [file, flag, dump] = process.argv.slice(2);
const rendered = renderFleet(loadFleet(readFileSync(file!, 'utf8'), file), { repoPath: 'dist' });
if (flag === '--dump') writeFileSync(dump!, JSON.stringify(rendered.emitted.map((e) => e.object)));
console.log(JSON.stringify({ files: rendered.files.size, objects: rendered.emitted.length }));
