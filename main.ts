/** meshfleet entry point (`npm run synth`, `npm run pki`, `npm run link`, `cdk8s synth`): see lib/cli/main.ts and README.md. */
import { main } from './lib/cli/main';

// No top-level await: scripts/build.mjs bundles this file as CommonJS.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
