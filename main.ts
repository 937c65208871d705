/** meshfleet entry point (`meshfleet <command>`, `npm run synth|pki|link|diff|check`, `cdk8s synth`): see lib/cli/main.ts and README.md. */
import { main } from './lib/cli/main';

// npm runs a script in the package's folder and names the folder the user started it in INIT_CWD:
// relative --fleet, --out and --pki mean what the user typed there (`cd sub && npm run synth`).
// Only for meshfleet's own scripts (this repository's and a fleet repository's): a test run
// (npm test) that spawns the CLI keeps its own folder.
const OWN = new Set(['synth', 'pki', 'link', 'diff', 'check', 'scan-secrets']);
if (process.env.INIT_CWD && OWN.has(process.env.npm_lifecycle_event ?? '')) process.chdir(process.env.INIT_CWD);

// No top-level await: scripts/build.mjs bundles this file as CommonJS.
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
