/**
 * The launcher behind `npm run synth|pki|link|diff|check`: builds build/main.js when a source is
 * newer than it (scripts/build.mjs), then runs it in this process with the given arguments.
 *
 *   node scripts/run.mjs [command] [options]
 */
import { ensureBuilt } from './build.mjs';
import { pathToFileURL } from 'node:url';

let main;
try {
  main = await ensureBuilt('main.ts');
} catch (e) {
  console.error(`meshfleet: could not build build/main.js: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
await import(pathToFileURL(main).href);
