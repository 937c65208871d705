/**
 * The launcher behind `npm run synth|pki|link|diff|check`: builds build/main.cjs when a source is
 * newer than it (scripts/build.mjs), then runs it in this process with the given arguments
 * (required, not imported: Node then loads it as the CommonJS it is, without scanning it for
 * ES exports first).
 *
 *   node scripts/run.mjs [command] [options]
 */
import { ensureBuilt } from './build.mjs';
import { createRequire } from 'node:module';

let main;
try {
  main = await ensureBuilt('main.ts');
} catch (e) {
  console.error(`meshfleet: could not build build/main.cjs: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
createRequire(import.meta.url)(main);
