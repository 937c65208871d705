/**
 * `npm run scan-secrets [-- <repo dir>]`: `meshfleet scan-secrets` (lib/cli/scan-secrets.ts), the
 * scan of every file git tracks; exit 1 and a list when something is found.
 */
import { main } from '../lib/cli/main';

void main(['scan-secrets', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
