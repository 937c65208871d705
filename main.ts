/** meshfleet entry point (`npm run synth`, `cdk8s synth`): see lib/cli.ts and README.md. */
import { main } from './lib/cli';

process.exitCode = main(process.argv.slice(2));
