/**
 * The fast YAML printer (lib/format/yaml.ts, issue 13) prints exactly what the `yaml` library
 * prints: on every object every example fleet renders, and on a seeded generator of thousands of
 * tricky values. Both sides are compared as bytes, and the fast path must actually be taken (a
 * comparison with a fallback to the library itself would prove nothing).
 */
import { describe, expect, it, vi } from 'vitest';
import { exampleNames, renderExample } from '../../scripts/golden';
import { fastYaml, library, toYaml } from '../../lib/format/yaml';
import { seededRandom } from '../helpers';

const seen: unknown[] = [];
vi.mock('../../lib/format/yaml', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../lib/format/yaml')>();
  return {
    ...real,
    toYaml: (value: unknown): string => {
      seen.push(structuredClone(value));
      return real.toYaml(value);
    },
  };
});

/** Byte equality with the library, the fast path taken or not. */
function same(value: unknown): boolean {
  const fast = fastYaml(value);
  expect(fast ?? library(value), JSON.stringify(value)).toBe(library(value));
  return fast !== undefined;
}

describe('the fast YAML printer', () => {
  it.each(exampleNames())('prints every object example %s renders as the library does, all on the fast path', async (name) => {
    seen.length = 0;
    await renderExample(name);
    expect(seen.length).toBeGreaterThan(10);
    const fallbacks = seen.filter((v) => !same(v));
    expect(fallbacks).toEqual([]);
  }, 120_000);

  it('takes the fast path for plain strings and the library for the rest, spliced at the right indentation', () => {
    const doc = { a: { b: [{ c: 'x\ny\n', d: ['  two\n\nlines', 'yes'] }], e: 'plain text', '80': 'on' } };
    const out = fastYaml(doc);
    expect(out).toBe([
      'a:',
      '  "80": "on"',
      '  b:',
      '    - c: |',
      '        x',
      '        y',
      '      d:',
      '        - |2-',
      '            two',
      '',
      '          lines',
      '        - "yes"',
      '  e: plain text',
      '',
    ].join('\n'));
    expect(toYaml(doc)).toBe(library(doc));
  });

  it('orders keys as canonical() does, array-index keys first in numeric order as in any JavaScript object', () => {
    const doc = { b: 1, '10': 2, a: 3, '9': 4, '01': 5, kind: 6, '4294967295': 7 };
    expect(fastYaml(doc)).toBe('"9": 4\n"10": 5\nkind: 6\n"01": 5\n"4294967295": 7\na: 3\nb: 1\n'.replace('"10": 5', '"10": 2'));
    expect(toYaml(doc)).toBe(library(doc));
  });

  it('leaves scalar and empty documents, undefined list items, bigints and NaN to the library', () => {
    for (const v of ['a', 1, null, true, {}, [], { a: undefined }, [undefined], { a: 1n }, { a: NaN }, { a: [Infinity] }, { a: 1e21 }, { a: -0 }]) {
      expect(fastYaml(v), String(v)).toBeUndefined();
      expect(toYaml(v)).toBe(library(v));
    }
  });

  it('prints thousands of generated tricky values as the library does', () => {
    const random = mulberry32(13);
    let fast = 0;
    const N = 4000;
    for (let i = 0; i < N; i++) if (same(tree(random, 0))) fast++;
    // Half of the documents hold a number the fast printer leaves to the library (NaN, 1e21, -0 …)
    // or a key with a document marker; the rest must go the fast way, quoted strings spliced in.
    expect(fast).toBeGreaterThan(N * 0.4);
  });

  it('prints every tricky string alone, as key and value, at every depth, as the library does', () => {
    for (const s of TRICKY) {
      for (const v of [{ [s]: s }, [s], { k: [[s, { [s]: [s] }]] }, [{ a: { b: s } }], { a: [{ b: [s, s], [s]: {} }] }]) same(v);
    }
  });
});

const mulberry32 = seededRandom;

/** Every case spelling of the YAML 1.1 bool and null words. */
function cases(word: string): string[] {
  let out = [''];
  for (const ch of word) out = out.flatMap((p) => (ch.toLowerCase() === ch.toUpperCase() ? [p + ch] : [p + ch.toLowerCase(), p + ch.toUpperCase()]));
  return out;
}

const TRICKY: readonly string[] = [
  ...['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', 'nil', 'none', 'empty'].flatMap(cases),
  '~', '', ' ', '  ', '\t', 'a ', ' a', 'a\t', '\ta', 'a  b', 'a\tb',
  '0', '00', '007', '08', '09', '0o17', '0x1F', '0X1f', '0b101', '0b', '1_000', '1__0', '+1', '-1', '+0', '-0', '.5', '5.', '1.0', '1e3', '1E3', '1e+3',
  '-1e-3', '.inf', '-.inf', '.NaN', '.nan', 'NaN', 'nan', 'Infinity', '-Infinity', 'inf', '1:20', '1:20:30', '190:20:30.15', '12:60', '1.2.3', '10.0.0.1',
  '0.0.0.0/0', '10s', '1h30m', '30', '8080', '2024-01-01', '2024-1-1', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5', '2001-12-14', '20240101',
  '-', '--', '---', '--- x', '...', '... x', '-a', '- a', '-1a', '?', '? a', '?a', ':', ':a', 'a:', 'a:b', 'a: b', 'a :b', 'http://x', 'a#b', 'a #b', '#a',
  '&a', '*a', '!a', '!!str', '|', '|a', '>', '>a', "'", "'a'", "a'b", '"', '"a"', 'a"b', `a'"b`, '%a', '%YAML 1.1', '@a', '`a', ',a', 'a,b', '[a]', '{a}',
  'a]', 'a}', '<<', '<< a', '=', '=a', 'a=b', '\\', 'a\\nb', 'é', 'ünïcødé', '한국어', '日本', '😀', 'a😀', '\u2028', 'a\u2028b', '\u0085', '\ufeffa', '\u00a0',
  '\x00', '\x07', '\x1b[0m', '\x7f', '\r', 'a\r\nb', 'a\rb', '\ud800',
  '\n', '\n\n', 'a\n', 'a\nb', 'a\nb\n', 'a\n\n', 'a\n\n\n', '\na', ' a\nb', '  a\n b\n', 'a\n  b', 'a \nb', 'a\n\nb', 'a\n#b', 'a\n- b', '---\na', 'a\n---\n',
  'a\n...', '\ta\nb', 'a\tb\nc', 'key: value\nother: 1\n', 'x'.repeat(100), `${'x '.repeat(60)}y`, `${'long line '.repeat(20)}\n${'second '.repeat(20)}`,
  `a\r\n${'b'.repeat(50)}\r\nc`, `"${'q'.repeat(60)}"\n'`, 'k'.repeat(1100),
];

const ATOMS = ['a', 'b', 'Z', '0', '1', '9', ' ', '  ', '\t', '\n', '-', '?', ':', '#', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', ',', '[', ']', '{', '}',
  '.', '_', '/', '+', 'e', 'x', 'é', '한', '😀', '\r', '~', '<', '=', 'yes', 'no', 'on', 'Off', 'null', 'true', '2024-01-01', '1_000', '0x1F', '0b1', '1e3', '---'];

function string(random: () => number): string {
  if (random() < 0.4) return TRICKY[Math.floor(random() * TRICKY.length)]!;
  let s = '';
  const n = Math.floor(random() * 6);
  for (let i = 0; i < n; i++) s += ATOMS[Math.floor(random() * ATOMS.length)]!;
  return s;
}

const NUMBERS = [0, 1, -1, 42, 15017, 0.5, -1.25, 1e3, 1e21, 1e-7, 2 ** 53, 2 ** 60, -0, NaN, Infinity, -Infinity, 3.14159];

function scalarValue(random: () => number): unknown {
  const r = random();
  if (r < 0.65) return string(random);
  if (r < 0.8) return NUMBERS[Math.floor(random() * NUMBERS.length)]!;
  if (r < 0.9) return random() < 0.5;
  return null;
}

function tree(random: () => number, depth: number): unknown {
  const r = random();
  if (depth >= 4 || (depth > 0 && r < 0.35)) return scalarValue(random);
  const n = Math.floor(random() * 5) + (depth === 0 ? 1 : 0);
  if (r < 0.65) {
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) o[random() < 0.6 ? `k${Math.floor(random() * 20)}` : string(random)] = tree(random, depth + 1);
    return o;
  }
  return Array.from({ length: n }, () => tree(random, depth + 1));
}
