/** Every example fleet renders to its committed golden tree (`npm run golden` rewrites them). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exampleNames, GOLDEN, readTree, renderExample } from '../scripts/golden';
import { ROOT } from './helpers';

describe.each(exampleNames())('example %s', (name) => {
  it('renders byte for byte to test/golden/<example>/', async () => {
    expect(existsSync(join(GOLDEN, name)), `test/golden/${name}/ is missing: run \`npm run golden -- ${name}\``).toBe(true);
    const want = readTree(join(GOLDEN, name));
    const got = await renderExample(name);
    const differ = [...new Set([...want.keys(), ...got.keys()])].filter((p) => want.get(p) !== got.get(p)).sort();
    expect(differ, `these files differ from test/golden/${name}/; if the change is intended, run \`npm run golden\` and review the diff`).toEqual([]);
  });

  it('renders the same bytes with spec.clusters in reverse order (issue 14: placement comes from names)', async () => {
    const reversed = (text: string): string => {
      const doc = parseDocument(text);
      const clusters = doc.getIn(['spec', 'clusters']);
      if (!isSeq(clusters)) throw new Error('no spec.clusters sequence');
      clusters.items.reverse();
      return doc.toString();
    };
    expect(reversed(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'))).not.toBe(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'));
    const want = readTree(join(GOLDEN, name));
    const got = await renderExample(name, reversed);
    const differ = [...new Set([...want.keys(), ...got.keys()])].filter((p) => want.get(p) !== got.get(p)).sort();
    expect(differ, 'reordering the clusters changed these files').toEqual([]);
  });
});

describe('examples/', () => {
  it('holds the default fleet unchanged, so its golden tree is the default output', () => {
    expect(readFileSync(join(ROOT, 'examples', 'kpaas-csp.yaml'), 'utf8')).toBe(readFileSync(join(ROOT, 'fleet.yaml'), 'utf8'));
  });
});
