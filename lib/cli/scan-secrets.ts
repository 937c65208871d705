/** `scan-secrets [dir]`: no private key or token in the clear in any file git tracks. */
import { resolve } from 'node:path';
import { ArgumentError } from '../errors';
import { scanFiles, trackedFiles } from '../review/secrets';
import type { Command } from './command';

export const scanSecretsCommand: Command = {
  name: 'scan-secrets',
  flags: [],
  help: `Usage: meshfleet scan-secrets [<repository folder>]

Scans every file git tracks (in the repository around the folder, default: the
folder the command runs in) for private keys and tokens in the clear: PEM private
keys, age identities, JWTs, kubeconfig tokens and client keys that are not SOPS
ENC[...] values. Exit 0: none; 1: each one listed on standard error.

  -h, --help       show this help`,
  async run(args, _options, { out, err }) {
    if (args.length > 1) throw new ArgumentError(`unexpected argument ${JSON.stringify(args[1])}`, 'scan-secrets');
    const repo = resolve(args[0] ?? '.');
    const findings = scanFiles(repo, trackedFiles(repo));
    for (const f of findings) err(`${f.file}:${f.line}: ${f.what} in the clear`);
    out(findings.length === 0 ? 'no private key or token in the clear in any tracked file' : `${findings.length} finding(s)`);
    return findings.length === 0 ? 0 : 1;
  },
};
