/**
 * `npm run scan-secrets [-- <repo dir>]`: the scan of lib/review/secrets.ts over every file git
 * tracks (`meshfleet scan-secrets` runs the same); exit 1 and a list when something is found.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { scanFiles, trackedFiles } from '../lib/review/secrets';

export { scanFiles, trackedFiles };

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const repo = resolve(process.argv[2] ?? '.');
  const findings = scanFiles(repo, trackedFiles(repo));
  for (const f of findings) console.error(`${f.file}:${f.line}: ${f.what} in the clear`);
  console.log(findings.length === 0 ? 'no private key or token in the clear in any tracked file' : `${findings.length} finding(s)`);
  process.exitCode = findings.length === 0 ? 0 : 1;
}
