/** The README documents what the code does: the --help text and every default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP } from '../lib/cli';
import { DEFAULTS } from '../lib/fleet/defaults';
import { STAGES } from '../lib/gitops/stages';
import { ROOT } from './helpers';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('starts with the two set-up commands', () => {
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toContain('npm ci && npm run synth');
    expect(firstBlock).toContain('npm test');
  });

  it('carries the --help text verbatim', () => {
    expect(readme).toContain(HELP);
  });

  it('documents every default of fleet.yaml', () => {
    const reference = readme.slice(readme.indexOf('| field | required | default | rule |'));
    for (const [key, value] of Object.entries(DEFAULTS)) {
      expect(reference, key).toContain(`\`${String(value)}\``);
    }
  });

  it('lists every stage in apply order', () => {
    const positions = STAGES.map((s) => readme.indexOf(`| \`${s.name}\` |`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});
