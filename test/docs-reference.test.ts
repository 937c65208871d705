/**
 * The fleet.yaml reference block of README.md (the annotated example under "## fleet.yaml
 * reference") says what the schema accepts: every key it shows is a field of the composed schema
 * of some mesh type, every field of those schemas appears in it, and a field with a fixed set of
 * values lists exactly that set in its comment (`# a | b | c`), with an example value from it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MESHES } from '../lib/mesh/registry';
import { fleetSchemaFor } from '../lib/pipeline';
import { ROOT } from './helpers';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface BlockLine {
  readonly path: string;
  /** The value as written after the colon (quotes removed), '' for a block. */
  readonly value: string;
  readonly comment: string;
  readonly line: number;
}

/** The yaml block right under "## fleet.yaml reference". */
export function referenceBlock(text: string): string {
  const start = text.indexOf('## fleet.yaml reference');
  const open = text.indexOf('```yaml\n', start);
  const close = text.indexOf('\n```', open + 8);
  if (start < 0 || open < 0 || close < 0) throw new Error('README.md has no ```yaml block under "## fleet.yaml reference"');
  return text.slice(open + 8, close + 1);
}

/**
 * Every key of the block with its field path ("spec.clusters[].gateway.address"), value and
 * trailing comment. A commented-out key (`# primary: kt-k2p   # ...`) counts as a key: the block
 * shows it as an option.
 */
export function parseReferenceBlock(block: string): BlockLine[] {
  const out: BlockLine[] = [];
  const stack: { indent: number; path: string }[] = [];
  block.split('\n').forEach((text, i) => {
    const m = /^( *)(?:# )?(- )?([A-Za-z][A-Za-z0-9]*):(?: +([^#]*?))?\s*(?:#\s*(.*))?$/.exec(text);
    if (!m) return;
    const dash = m[1]!.length;
    const indent = dash + (m[2] ? 2 : 0);
    while (stack.length > 0 && stack[stack.length - 1]!.indent >= (m[2] ? dash : indent)) stack.pop();
    let parent = stack[stack.length - 1]?.path ?? '';
    if (m[2]) {
      // a list item: its keys are fields of parent[]
      parent = `${parent}[]`;
      stack.push({ indent: dash, path: parent });
    }
    const path = parent ? `${parent}.${m[3]}` : m[3]!;
    const value = (m[4] ?? '').replace(/^"(.*)"$/, '$1');
    out.push({ path, value, comment: m[5] ?? '', line: i + 1 });
    stack.push({ indent, path });
  });
  return out;
}

/** The values a comment enumerates: the first `a | b | c` in it, parentheses ignored. */
export function enumeratedValues(comment: string): string[] | undefined {
  const m = /[\w.-]+(?:\s*\|\s*[\w.-]+)+/.exec(comment.replace(/\([^)]*\)/g, ''));
  return m ? m[0].split('|').map((v) => v.trim()) : undefined;
}

interface Field {
  readonly enum?: readonly string[];
  readonly const?: string;
  /** A map of free keys (Helm values per release name): what the block shows below it is an example. */
  readonly freeForm?: true;
}

/** Every field path of a composed schema, with its enum (of the field, or of an array's items). */
function fieldsOf(schema: Record<string, any>, prefix = '', out = new Map<string, Field>()): Map<string, Field> {
  for (const [key, sub] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
    if (Object.keys(sub).length === 0) continue; // fields of other mesh types, accepted unchecked
    const path = prefix ? `${prefix}.${key}` : key;
    const values = sub.enum ?? sub.items?.enum;
    out.set(path, {
      ...(values ? { enum: values.map(String) } : {}),
      ...(sub.const !== undefined ? { const: String(sub.const) } : {}),
      ...(typeof sub.additionalProperties === 'object' && !sub.properties ? { freeForm: true as const } : {}),
    });
    if (sub.properties) fieldsOf(sub, path, out);
    if (sub.type === 'array' && sub.items?.properties) fieldsOf(sub.items, `${path}[]`, out);
  }
  return out;
}

/** The fields of every mesh type's schema; a field two types share must mean the same. */
function allFields(): Map<string, Field> {
  const all = new Map<string, Field>();
  for (const type of Object.keys(MESHES)) {
    for (const [path, field] of fieldsOf(fleetSchemaFor(type))) {
      const seen = all.get(path);
      if (seen) expect(field, `${path} differs between mesh types`).toEqual(seen);
      all.set(path, field);
    }
  }
  return all;
}

describe("README.md's fleet.yaml reference block", () => {
  const lines = parseReferenceBlock(referenceBlock(readme));
  const fields = allFields();
  const shown = new Map(lines.map((l) => [l.path, l]));

  it('is parsed (the test reads the block it means to)', () => {
    expect(shown.get('spec.mesh.type')?.value).toBe('istio');
    expect(shown.get('spec.clusters[].gateway.address')).toBeDefined();
  });

  it('shows only fields the schema has', () => {
    const underFreeForm = (path: string) => [...fields].some(([p, f]) => f.freeForm && path.startsWith(`${p}.`));
    const unknown = lines.filter((l) => !fields.has(l.path) && !underFreeForm(l.path)).map((l) => `block line ${l.line}: ${l.path} is no field of any mesh type's fleet.yaml schema`);
    expect(unknown).toEqual([]);
  });

  it('shows every field the schema has', () => {
    const missing = [...fields.keys()].filter((path) => !shown.has(path)).map((path) => `the block lacks ${path}`);
    expect(missing).toEqual([]);
  });

  it('lists exactly the values the schema accepts, with an example value among them', () => {
    const wrong: string[] = [];
    for (const [path, field] of fields) {
      const l = shown.get(path);
      if (!l) continue;
      const at = `block line ${l.line}: ${path}`;
      if (field.const !== undefined) {
        if (l.value !== field.const) wrong.push(`${at} is ${l.value}; the schema accepts only ${field.const}`);
        continue;
      }
      const listed = enumeratedValues(l.comment);
      if (!field.enum) {
        if (listed) wrong.push(`${at} lists values (${l.comment}) but the schema has no fixed set`);
        continue;
      }
      const named = listed ?? [l.value];
      const accepted = [...field.enum];
      if ([...named].sort().join('|') !== [...accepted].sort().join('|')) wrong.push(`${at} names ${named.join(' | ')}; the schema accepts ${accepted.join(' | ')}`);
      const examples = l.value.startsWith('[') ? l.value.slice(1, -1).split(',').map((v) => v.trim()).filter(Boolean) : [l.value];
      for (const v of examples) if (!accepted.includes(v)) wrong.push(`${at}: the example ${v} is not one of ${accepted.join(' | ')}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('the reference block parser', () => {
  it('reads paths, list items, commented-out keys and enumerations', () => {
    const parsed = parseReferenceBlock([
      'spec:',
      '  mesh:',
      '    type: istio        # istio | none (x | y)',
      '  clusters:',
      '    - name: a          # unique',
      '      role: primary    # primary-remote only: primary | remote',
      '      # primary: b     # a remote\'s primary',
      '      gateway:',
      '        address: 1.2.3.4',
      '  samples:',
      '    enabled: true',
      '',
    ].join('\n'));
    expect(parsed.map((l) => l.path)).toEqual([
      'spec', 'spec.mesh', 'spec.mesh.type', 'spec.clusters', 'spec.clusters[].name', 'spec.clusters[].role',
      'spec.clusters[].primary', 'spec.clusters[].gateway', 'spec.clusters[].gateway.address', 'spec.samples', 'spec.samples.enabled',
    ]);
    expect(enumeratedValues(parsed[2]!.comment)).toEqual(['istio', 'none']);
    expect(enumeratedValues(parsed[5]!.comment)).toEqual(['primary', 'remote']);
    expect(enumeratedValues('LoadBalancer (gateway.address:2379) | NodePort')).toEqual(['LoadBalancer', 'NodePort']);
    expect(enumeratedValues('255 | 511, set once at install')).toEqual(['255', '511']);
    expect(enumeratedValues('unique')).toBeUndefined();
  });
});
