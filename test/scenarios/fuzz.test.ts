/**
 * Mutated example fleets (seeded, so a failure reproduces): every mutation ends in a clear
 * FleetError/UsageError or a valid render — never another exception (which the CLI would show as
 * "unexpected failure"), a schema failure of our own output, or a hang.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import { FleetError, UsageError } from '../../lib/errors';
import { loadFleet, renderFleet } from '../../lib/pipeline';
import { ROOT, seededRandom } from '../helpers';

const EXAMPLES = join(ROOT, 'examples');
const MUTATIONS = 320;

const prng = seededRandom;

const VALUES: unknown[] = [
  '', ' ', 'x', 'network1', 'kt-k2p', '1.26.8', '0.14.8', '203.0.113.10', '203.0.113.0/24', '::1', 'https://[::1]:6443',
  'https://203.0.113.99:6443', 'age1a09cy45256lkhypq0lny2umwml5uhn67c3zwnnpyzka3dtrejpzqczss2d', 'AGE-SECRET-KEY-1', 'a'.repeat(300),
  '$(reboot)', 'ä', -1, 0, 1, 1.5, 65536, 1e308, true, false, null, [], {}, ['v1'], [1, 2], { a: 1 }, 'none', 'l2', 'primary', 'remote',
];

/** Every path to a node of the document. */
function paths(doc: Document): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    out.push(path);
    if (isMap(node)) for (const p of node.items) walk(p.value, [...path, String((p.key as Node & { value?: unknown })?.value ?? p.key)]);
    else if (isSeq(node)) node.items.forEach((n, i) => walk(n, [...path, i]));
  };
  walk(doc.contents, []);
  return out.filter((p) => p.length > 0);
}

function mutate(text: string, rnd: () => number): string {
  const doc = parseDocument(text);
  const all = paths(doc);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const path = pick(all);
  switch (Math.floor(rnd() * 6)) {
    case 0: doc.deleteIn(path); break;
    case 1: doc.setIn(path, doc.createNode(pick(VALUES))); break;
    case 2: {
      // A misspelt or foreign key beside the node.
      const parent = path.slice(0, -1);
      doc.setIn([...parent, pick(['netwrok', 'role', 'primary', 'cilium', 'linkerd', 'podCIDR', 'overrides', 'type', 'x'])], doc.createNode(pick(VALUES)));
      break;
    }
    case 3: {
      // A cluster twice, or a cluster less.
      const clusters = doc.getIn(['spec', 'clusters']);
      if (isSeq(clusters) && clusters.items.length > 0) {
        if (rnd() < 0.5) clusters.items.push(doc.createNode((clusters.items[0] as Node).toJSON()) as never);
        else clusters.items.splice(Math.floor(rnd() * clusters.items.length), 1);
      }
      break;
    }
    case 4: {
      const node = doc.getIn(path, true);
      if (isScalar(node) && typeof node.value === 'string') node.value = node.value.split('').reverse().join('');
      else doc.setIn(path, doc.createNode(pick(VALUES)));
      break;
    }
    default:
      return text.slice(0, Math.floor(rnd() * text.length));
  }
  return doc.toString();
}

const examples = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();

describe('fuzzed example fleets', () => {
  it(`${MUTATIONS} seeded mutations: a clear error or a valid render, never anything else`, () => {
    const rnd = prng(20261125);
    const outcomes = { rendered: 0, refused: 0 };
    for (let i = 0; i < MUTATIONS; i++) {
      const file = examples[i % examples.length]!;
      let text: string;
      try {
        text = mutate(readFileSync(join(EXAMPLES, file), 'utf8'), rnd);
      } catch {
        continue; // the mutation itself did not apply (e.g. a key set on a list)
      }
      try {
        renderFleet(loadFleet(text, file), { repoPath: 'dist' });
        outcomes.rendered++;
      } catch (e) {
        if (e instanceof FleetError || e instanceof UsageError) {
          expect(e.message, `mutation ${i} of ${file}`).toMatch(/\S/);
          outcomes.refused++;
          continue;
        }
        throw new Error(`mutation ${i} of ${file} ended in ${(e as Error).name}: ${(e as Error).message}\n--- fleet ---\n${text}`);
      }
    }
    // Both outcomes occur, so the mutations neither all break nor all miss the loader.
    expect(outcomes.rendered).toBeGreaterThan(20);
    expect(outcomes.refused).toBeGreaterThan(100);
  }, 300_000);
});
