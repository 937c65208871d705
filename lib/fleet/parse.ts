/**
 * fleet.yaml text → its raw object and a way to find positions in it, and JSON Schema errors →
 * problems with path, line:column, value, rule and fix. Nothing here knows a mesh or an add-on.
 */
import { isIP } from 'node:net';
import type { ErrorObject } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { FleetError, type Problem } from '../errors';

export type Segment = string | number;
/** line:column of a path in fleet.yaml (of the key itself when `key`), if it has one. */
export type Locate = (path: Segment[], key?: boolean) => string | undefined;
/** Records a problem at a fleet.yaml path. */
export type AddProblem = (path: Segment[], value: unknown, rule: string, fix: string) => void;
/** Records a warning about a fleet.yaml path: the fleet renders, but the user should know. */
export type AddWarning = (path: Segment[], message: string) => void;

export interface ParsedFleet {
  readonly file: string;
  /** The document as plain data, not yet validated. */
  readonly data: unknown;
  readonly at: Locate;
}

/** Parses fleet.yaml text; a YAML syntax error is a FleetError with positions. */
export function parseFleetText(text: string, file = 'fleet.yaml'): ParsedFleet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new FleetError(file, doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { path: '', ...yamlProblem(e.code, e.message.split('\n')[0]!), position: `${pos.line}:${pos.col}` };
    }));
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    // yaml refuses documents whose aliases expand without bound ("billion laughs").
    throw new FleetError(file, [{
      path: '',
      rule: `YAML: ${(e as Error).message}`,
      fix: 'write the values out instead of nesting anchors and aliases (*alias) inside each other',
    }]);
  }
  return { file, data, at: (path, key = false) => locate(doc, lineCounter, path, key) };
}

/** A YAML parser error in meshfleet's words: the library's own wording names its API, not the user's file. */
function yamlProblem(code: string, message: string): { rule: string; fix: string } {
  if (code === 'MULTIPLE_DOCS') {
    return {
      rule: 'holds more than one YAML document (the `---` line at the position shown starts another): a fleet.yaml is one fleet',
      fix: 'remove the `---` line and the document after it, or move that fleet to a file of its own and pass it with --fleet',
    };
  }
  if (/Maximum call stack size exceeded/.test(message)) {
    return {
      rule: 'is nested too deeply to read (brackets or indentation hundreds of levels deep)',
      fix: 'a fleet.yaml is a few levels deep: remove the extra nesting that starts at the position shown',
    };
  }
  return {
    rule: `YAML syntax: ${message.replace(/ at line \d+, column \d+:?$/, '')}`,
    fix: 'correct the YAML at the position shown (indentation, quotes, duplicate keys)',
  };
}

/** Aliases a fleet.yaml may use; more is an alias bomb, not a fleet. */
const MAX_ALIASES = 100;

/** A problem collector whose problems carry their positions; `problems` lists them in file order. */
export function problemCollector(at: Locate): { add: AddProblem; problems: () => Problem[] } {
  const found: Problem[] = [];
  const add: AddProblem = (path, value, rule, fix) => {
    const position = at(path);
    found.push({ path: formatPath(path), value, rule, fix, ...(position ? { position } : {}) });
  };
  return { add, problems: () => sortByPosition(found) };
}

/** Problems in the order they appear in the file (stable for equal positions). */
export function sortByPosition(problems: readonly Problem[]): Problem[] {
  const key = (p: Problem): [number, number] => {
    const [line, col] = (p.position ?? '0:0').split(':').map(Number);
    return [line ?? 0, col ?? 0];
  };
  return problems.map((p, i) => ({ p, i })).sort((a, b) => {
    const [la, ca] = key(a.p);
    const [lb, cb] = key(b.p);
    return la - lb || ca - cb || a.i - b.i;
  }).map(({ p }) => p);
}

/** Turns ajv errors into problems, dropping the noise ajv adds around `const`/`enum` unions. */
export function schemaProblems(errors: ErrorObject[], at: Locate): Problem[] {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const e of errors) {
    const base = pointerToSegments(e.instancePath);
    let path = base;
    let rule: string;
    let value: unknown = e.data;
    let fix = (e.parentSchema as { description?: string } | undefined)?.description ?? 'see the fleet.yaml reference in README.md';
    let onKey = false;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = (e.params as { additionalProperty: string }).additionalProperty;
        const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
        path = [...base, extra];
        value = undefined;
        onKey = true;
        rule = `unknown field "${extra}"; allowed here: ${allowed.join(', ')}`;
        const near = closest(extra, allowed);
        fix = near ? `did you mean "${near}"? Rename or remove the field` : 'remove the field';
        break;
      }
      case 'required': {
        const missing = (e.params as { missingProperty: string }).missingProperty;
        path = [...base, missing];
        value = undefined;
        rule = `required field "${missing}" is missing`;
        const schema = (e.parentSchema as { properties?: Record<string, { description?: string }> }).properties?.[missing];
        fix = `add it${schema?.description ? `: ${schema.description}` : ''}`;
        break;
      }
      case 'type': {
        const want = (e.params as { type: string }).type;
        rule = `must be ${article(want)} ${want}, not ${article(typeName(e.data))} ${typeName(e.data)}`;
        if (want === 'string' && (typeof e.data === 'number' || typeof e.data === 'boolean')) {
          fix = `quote the value so YAML reads it as text, e.g. "${String(e.data)}"; ${fix}`;
        }
        break;
      }
      case 'pattern':
        rule = `does not match the required format ${(e.params as { pattern: string }).pattern}`;
        if (typeof e.data === 'string' && e.data.startsWith('AGE-SECRET-KEY-')) {
          rule = 'is an age SECRET key, which must never be in fleet.yaml or git';
          fix = 'use its public key instead (`age-keygen -y <key file>` prints it, age1...), and treat this secret key as leaked if it was committed or shared';
        }
        break;
      case 'const':
        rule = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
        break;
      case 'enum':
        rule = `must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues).map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'minItems':
        rule = `must list at least ${(e.params as { limit: number }).limit} item(s)`;
        break;
      case 'uniqueItems':
        rule = `items must be unique; items ${(e.params as { j: number }).j} and ${(e.params as { i: number }).i} are the same`;
        fix = 'remove the duplicate';
        break;
      case 'minLength':
        rule = 'must not be empty';
        break;
      default:
        rule = e.message ?? e.keyword;
    }
    const where = formatPath(path);
    const key = `${where}|${rule}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const position = at(path, onKey) ?? at(base);
    problems.push({ path: where, value, rule, fix, ...(position ? { position } : {}) });
  }
  return problems;
}

const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

export function isAddress(value: string): boolean {
  return isIP(value) !== 0 || (DNS_NAME.test(value) && !/^[0-9.]+$/.test(value));
}

/** Finds the line:column of a path in the document: the key for unknown fields, else the value. */
function locate(doc: Document, lines: LineCounter, path: Segment[], onKey = false): string | undefined {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === seg);
      if (!pair) return rangeOf(node as Node, lines);
      keyNode = pair.key as Node;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      keyNode = undefined;
      node = node.items[seg];
    } else {
      break;
    }
  }
  return rangeOf((onKey && keyNode) || (node as Node | undefined), lines);
}

function rangeOf(node: Node | undefined, lines: LineCounter): string | undefined {
  if (!node?.range) return undefined;
  const pos = lines.linePos(node.range[0]);
  return `${pos.line}:${pos.col}`;
}

function pointerToSegments(pointer: string): Segment[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((s) => {
    const unescaped = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
  });
}

/**
 * The segments of a path as formatPath writes it (`spec.clusters[0].overrides.istiod.env.X`), read
 * against the data so that keys holding dots (`sidecar.istio.io/inject`) stay one segment: at each
 * map the longest key that the rest of the path starts with. Stops at the first part not in the data.
 */
export function segmentsOf(data: unknown, path: string): Segment[] {
  const out: Segment[] = [];
  let node = data;
  let rest = path;
  while (rest) {
    const index = /^\[(\d+)\]\.?/.exec(rest);
    if (index && Array.isArray(node)) {
      out.push(Number(index[1]));
      node = node[Number(index[1])];
      rest = rest.slice(index[0].length);
      continue;
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) break;
    const key = Object.keys(node).filter((k) => rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`)).sort((a, b) => b.length - a.length)[0];
    if (key === undefined) break;
    out.push(key);
    node = (node as Record<string, unknown>)[key];
    rest = rest.slice(key.length).replace(/^\./, '');
  }
  return out;
}

export function formatPath(path: Segment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value === 'object' ? 'object' : typeof value;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** The allowed name nearest to a misspelt one, if it is plausibly a typo. */
function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
