/** meshfleet entry point (`npm run synth`, `npm run pki`, `npm run link`, `cdk8s synth`): see lib/cli.ts and README.md. */
import { main } from './lib/cli';

process.exitCode = await main(process.argv.slice(2));
