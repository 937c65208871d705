/** Every example fleet renders to its committed golden tree (`npm run golden` rewrites them). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSeq, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exampleNames, GOLDEN, readTree, renderExample } from '../scripts/golden';
import { loadFleet } from '../lib/pipeline';
import { MESHES } from '../lib/mesh/registry';
import { ENGINES } from '../lib/gitops/registry';
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
  it('cover every mesh type under every GitOps engine (issue 20 item 9)', () => {
    const pairs = new Set(exampleNames().map((name) => {
      const fleet = loadFleet(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8'));
      return `${fleet.mesh.type} × ${fleet.gitops.engine}`;
    }));
    const want = Object.keys(MESHES).flatMap((m) => Object.keys(ENGINES).map((e) => `${m} × ${e}`));
    expect(want.filter((p) => !pairs.has(p)), 'add an example (and its golden) for each missing pair').toEqual([]);
  });

  it('speak only of their own engine: no Flux words in an Argo CD output, no Argo CD words in a Flux one', () => {
    const words: Record<string, RegExp> = {
      argocd: /\bFlux\b|\bflux\b|kustomize-controller|helm-controller|HelmRelease|HelmRepository|GitRepository/,
      flux: /Argo CD|argocd|ApplicationSet|\bApplication\b/,
    };
    for (const name of exampleNames()) {
      const engine = loadFleet(readFileSync(join(ROOT, 'examples', `${name}.yaml`), 'utf8')).gitops.engine;
      for (const [path, text] of readTree(join(GOLDEN, name))) {
        const line = text.split('\n').find((l) => words[engine]!.test(l));
        expect(line, `test/golden/${name}/${path} (engine ${engine}) names another engine`).toBeUndefined();
      }
    }
  });
});
