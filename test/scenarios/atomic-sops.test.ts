/**
 * Rendering into another --out must not rewrite the .sops.yaml the default output relies on:
 * its rules always name pki/ and dist/ beside fleet.yaml, and synth says so.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runMain, synthFleet } from '../helpers';

describe('.sops.yaml and --out', () => {
  it('a synth into another folder leaves the rules for dist/ as they are, says so, and --check agrees', async () => {
    const { dir } = await synthFleet();
    const sops = readFileSync(join(dir, '.sops.yaml'), 'utf8');
    const regexes = (parse(sops) as { creation_rules: { path_regex: string }[] }).creation_rules.map((r) => r.path_regex);
    expect(regexes.filter((r) => r.startsWith('(^|/)dist/manifests/'))).toHaveLength(3);
    const fleet = ['--fleet', join(dir, 'fleet.yaml')];
    const other = await runMain([...fleet, '--out', join(dir, 'preview')]);
    expect(other.code, other.err).toBe(0);
    expect(other.out).toMatch(/\n\.sops\.yaml describes dist\/ beside fleet\.yaml \(the default output\), not \S*preview: the encrypted files in \S*preview are byte-for-byte copies of \S*pki's, which it covers\nnext: commit and push, then bootstrap [^\n]+\n$/);
    expect(readFileSync(join(dir, '.sops.yaml'), 'utf8')).toBe(sops);
    for (const out of ['preview', 'dist']) {
      const check = await runMain(['synth', ...fleet, '--out', join(dir, out), '--check']);
      expect(check.code, check.err).toBe(0);
    }
    // The default output says nothing about it.
    const again = await runMain([...fleet, '--out', join(dir, 'dist')]);
    expect(again.out).not.toContain('.sops.yaml describes');
  }, 120_000);
});
