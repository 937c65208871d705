/** No private key or token in the clear in any file git tracks; the scan is proven on a planted one. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanFiles, trackedFiles } from '../lib/review/secrets';
import { fixture, ROOT, tempDir } from './helpers';

const isRepo = existsSync(join(ROOT, '.git'));

describe('secret scan', () => {
  it.skipIf(!isRepo)(`finds nothing in the files this repository tracks${isRepo ? '' : ' — SKIPPED: not a git checkout'}`, () => {
    const files = trackedFiles(ROOT);
    expect(files).toContain('pki/root-key.sops.yaml');
    expect(scanFiles(ROOT, files)).toEqual([]);
  });

  it('catches each kind of secret planted in a temporary repository', () => {
    const repo = tempDir();
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const pem = [['-----BEGIN', 'PRIVATE', 'KEY-----'].join(' '), 'MIIEvQIBADANBg', ['-----END', 'PRIVATE', 'KEY-----'].join(' ')].join('\n');
    const jwt = ['eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9', 'eyJpc3MiOiJrdWJlcm5ldGVzIn0', 'c2lnbmF0dXJlLXNpZ25hdHVyZQ'].join('.');
    mkdirSync(join(repo, 'leaks'));
    const planted: Record<string, string> = {
      'leaks/key.pem': pem,
      'leaks/age.txt': `# created\n${fixture().extra.identity}\n`,
      'leaks/kubeconfig.yaml': `users:\n- name: a\n  user:\n    token: ${'x'.repeat(12)}-not-encrypted-${'y'.repeat(12)}\n`,
      'leaks/jwt.json': JSON.stringify({ token: jwt }),
      'safe.yaml': 'stringData:\n  token: ENC[AES256_GCM,data:abc,iv:def,tag:ghi,type:str]\n',
    };
    for (const [f, text] of Object.entries(planted)) writeFileSync(join(repo, f), text);
    execFileSync('git', ['add', '.'], { cwd: repo });
    const found = scanFiles(repo, trackedFiles(repo));
    expect(found.map((f) => `${f.file}: ${f.what}`).sort()).toEqual([
      'leaks/age.txt: age identity',
      'leaks/jwt.json: JSON web token',
      'leaks/key.pem: PEM private key',
      'leaks/kubeconfig.yaml: kubeconfig token',
    ]);
  });
});
