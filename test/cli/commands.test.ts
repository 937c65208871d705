/** The command line's own answers: --version, and a help per command. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP, main } from '../../lib/cli/main';
import { someOf } from '../../lib/format/text';
import { ROOT } from '../helpers';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, (s) => { out += `${s}\n`; }, (s) => { out += `${s}\n`; });
  return { code, out };
}

describe('command line', () => {
  it('--version prints meshfleet\'s version and what it pins', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const { code, out } = await run(['--version']);
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^meshfleet ${version.replace(/\./g, '\\.')} \\(fleet API meshfleet.io/v1alpha1\\)`));
    expect(out).toMatch(/Istio \(charts base, istiod, gateway\) +1\.26\.8/);
    expect(out).toMatch(/Flux APIs +kustomize\.toolkit\.fluxcd\.io\/v1 Kustomization, helm\.toolkit\.fluxcd\.io\/v2 HelmRelease/);
    expect(out).toMatch(/MetalLB chart +0\.14\.9, 0\.15\.3, 0\.16\.1 \(default\)/);
    expect(out).toMatch(/Istio \(charts base, istiod, gateway\) +1\.26\.8, 1\.27\.9, 1\.28\.10, 1\.29\.6, 1\.30\.3/);
  });

  it.each([
    [['--help'], HELP],
    [['pki', '--help'], 'Usage: npm run pki -- <status|issue <cluster>|rotate <cluster>|rekey|revoked <holder>|rotate-root <phase>|rotate-tokens <phase>>'],
    [['link', '-h'], 'Usage: npm run link -- [--fleet <file>] [--pki <dir>]'],
    [['synth', '--help'], 'Usage: npm run synth -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--check]'],
  ])('%j shows that command\'s help', async (args, start) => {
    const { code, out } = await run(args);
    expect(code).toBe(0);
    expect(out.startsWith(start)).toBe(true);
  });
});

it('long lists in messages name the first few and count the rest', () => {
  expect(someOf(['a', 'b'], 3)).toBe('a, b');
  expect(someOf(['a', 'b', 'c'], 3)).toBe('a, b, c');
  expect(someOf(Array.from({ length: 9900 }, (_, i) => `c${i}`), 2)).toBe('c0, c1 and 9898 more');
});
