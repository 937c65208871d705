/**
 * One timed child of `npm run bench` (bundled into build/ like main.ts): creating a fleet's CA
 * store, as the first synth does it: load the fleet, make every key and certificate and encrypt the
 * private keys (the mesh type's `ca.create`), then write the files into a new folder with the
 * synth's own writeNewDir. The bench times the whole process, start-up included.
 *
 *   node build/bench-pki.cjs <fleet.yaml> <new pki folder>
 */
import { readFileSync } from 'node:fs';
import { loadFleetWithModules } from '../lib/pipeline';
import { writeNewDir } from '../lib/output/write';

async function main(): Promise<void> {
  const [file, dir] = process.argv.slice(2);
  const start = performance.now();
  const { fleet, modules } = loadFleetWithModules(readFileSync(file!, 'utf8'), file);
  const loaded = performance.now();
  const files = await modules.mesh.ca!.create(fleet);
  const created = performance.now();
  writeNewDir(dir!, files);
  const written = performance.now();
  const s = (a: number, b: number): number => Number(((b - a) / 1000).toFixed(3));
  console.log(JSON.stringify({ files: files.size, loadS: s(start, loaded), createS: s(loaded, created), writeS: s(created, written) }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
