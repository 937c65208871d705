/**
 * Private keys and tokens in the clear among the files git tracks: PEM private keys, age
 * identities, JWTs, kubeconfig tokens and client keys that are not SOPS `ENC[...]` values.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PATTERNS: [string, RegExp][] = [
  ['PEM private key', /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/],
  ['age identity', /AGE-SECRET-KEY-1[0-9A-Z]{50,}/],
  ['JSON web token', /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/],
  ['kubeconfig token', /^\s*token:\s*(?!ENC\[)["']?[A-Za-z0-9._~+/=-]{20,}["']?\s*$/m],
  ['kubeconfig client key', /client-key-data:\s*(?!ENC\[)["']?[A-Za-z0-9+/=]{20,}/],
];

export interface Finding {
  readonly file: string;
  readonly line: number;
  readonly what: string;
}

/** The files git tracks under `repo`, relative paths. */
export function trackedFiles(repo: string): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean);
}

export function scanFiles(repo: string, files: string[]): Finding[] {
  const findings: Finding[] = [];
  for (const file of files) {
    const full = join(repo, file);
    let stat;
    try {
      stat = statSync(full);
    } catch {
      continue;
    }
    if (!stat.isFile() || stat.size > 8 * 2 ** 20) continue;
    const text = readFileSync(full, 'utf8');
    for (const [what, re] of PATTERNS) {
      const m = re.exec(text);
      if (m) findings.push({ file, line: text.slice(0, m.index).split('\n').length, what });
    }
  }
  return findings;
}
