/**
 * Which value keys a chart does not declare. `helm template` and `helm install` silently ignore a
 * misspelt key (`global.meshId` for `global.meshID`, `service.anotations`): the release installs
 * and simply lacks the setting. This check compares every key path of the values we pass with the
 * chart's defaults (values.yaml) and, where it ships one, its values.schema.json.
 *
 * Pure: no disk, no Helm. lib/helm/chart.ts reads a chart folder into the inputs.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type Schema = Record<string, unknown>;

export interface KeyCheckInput {
  /** The values we pass to the chart (HelmRelease spec.values). */
  readonly values: unknown;
  /** The chart's defaults: its parsed values.yaml (see chartDefaults for Istio's nesting and subcharts). */
  readonly defaults: unknown;
  /** The chart's parsed values.schema.json, if it has one. */
  readonly schema?: unknown;
  /**
   * Paths below which any key is accepted (maps the chart passes through: annotations, labels,
   * env, meshNetworks, ...). Dotted, `*` matches any one key and `[]` any array item, e.g.
   * `service.annotations`, `*.podAnnotations`, `tolerations[]`.
   */
  readonly freeForm?: readonly string[];
  /**
   * Paths the chart's templates read although values.yaml only shows them commented out and the
   * schema does not list them (e.g. cilium's `socketLB.hostNamespaceOnly`). Same syntax as freeForm;
   * each also declares its parents.
   */
  readonly alsoDeclared?: readonly string[];
}

/**
 * Every key path in `values` that the chart does not declare, e.g. `global.meshId` or
 * `extraArgs[0].foo`; empty when every key is known. A path is reported once, at the first
 * undeclared key (nothing below it is checked).
 */
export function undeclaredKeys(input: KeyCheckInput): string[] {
  const root = isObject(input.schema) ? input.schema : undefined;
  const free = (input.freeForm ?? []).map((p) => parsePattern(p));
  const extra = (input.alsoDeclared ?? []).map((p) => parsePattern(p));
  const out: string[] = [];

  const walk = (value: unknown, defaults: unknown, schemas: Schema[], path: Segment[]): void => {
    if (free.some((pattern) => matches(pattern, path))) return;
    if (Array.isArray(value)) {
      // Items are checked against the first item of the default list, if it has one.
      const itemDefault = Array.isArray(defaults) && defaults.length > 0 ? defaults[0] : undefined;
      const itemSchemas = schemas.flatMap((s) => expand(s, root)).flatMap((s) => (isObject(s.items) ? expand(s.items, root) : []));
      value.forEach((item, i) => walk(item, itemDefault, itemSchemas, [...path, { index: i }]));
      return;
    }
    if (!isObject(value)) return;
    const expanded = schemas.flatMap((s) => expand(s, root));
    for (const [key, child] of Object.entries(value)) {
      const fromDefaults = isObject(defaults) && Object.prototype.hasOwnProperty.call(defaults, key);
      const childSchemas = expanded.flatMap((s) => propertySchemas(s, key));
      const childPath: Segment[] = [...path, { key }];
      if (!fromDefaults && childSchemas.length === 0 && !extra.some((pattern) => matches(pattern.slice(0, childPath.length), childPath))) {
        out.push(formatPath(childPath));
        continue;
      }
      walk(child, fromDefaults ? (defaults as JsonObject)[key] : undefined, childSchemas, childPath);
    }
  };

  walk(input.values, input.defaults, root ? [root] : [], []);
  return out;
}

/**
 * The defaults a chart's templates see, from its values.yaml: Istio's charts keep theirs under
 * `_internal_defaults_do_not_set` and merge them into .Values in templates/zzz_profile.yaml, so
 * that key is folded into the top level. Subchart defaults are placed under their name or alias.
 */
export function chartDefaults(values: unknown, subcharts: Readonly<Record<string, unknown>> = {}): JsonObject {
  const top = isObject(values) ? (values as JsonObject) : {};
  const { _internal_defaults_do_not_set: internal, ...rest } = top;
  let merged = mergeDeep(isObject(internal) ? (internal as JsonObject) : {}, rest);
  for (const [name, sub] of Object.entries(subcharts)) {
    merged = mergeDeep(merged, { [name]: (isObject(sub) ? sub : {}) as JsonObject });
  }
  return merged;
}

type Segment = { key: string } | { index: number };
type PatternSegment = { key: string } | { any: true } | { item: true };

function parsePattern(pattern: string): PatternSegment[] {
  const out: PatternSegment[] = [];
  for (const part of pattern.split('.')) {
    const m = /^(.*?)((?:\[\])*)$/.exec(part)!;
    if (m[1]) out.push(m[1] === '*' ? { any: true } : { key: m[1] });
    for (let i = 0; i < m[2]!.length / 2; i++) out.push({ item: true });
  }
  return out;
}

/** Whether `path` is at or below `pattern`. */
function matches(pattern: PatternSegment[], path: Segment[]): boolean {
  if (path.length < pattern.length) return false;
  return pattern.every((p, i) => {
    const s = path[i]!;
    if ('item' in p) return 'index' in s;
    if ('any' in p) return 'key' in s;
    return 'key' in s && s.key === p.key;
  });
}

function formatPath(path: Segment[]): string {
  let out = '';
  for (const s of path) {
    if ('index' in s) out += `[${s.index}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(s.key)) out += out ? `.${s.key}` : s.key;
    else out += `[${JSON.stringify(s.key)}]`;
  }
  return out;
}

/** A schema with its local $ref resolved and allOf / anyOf / oneOf flattened into a list. */
function expand(schema: Schema, root: Schema | undefined, depth = 0): Schema[] {
  if (depth > 20) return [];
  const out: Schema[] = [schema];
  if (typeof schema.$ref === 'string' && root) {
    const target = resolveRef(root, schema.$ref);
    if (target) out.push(...expand(target, root, depth + 1));
  }
  for (const k of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = schema[k];
    if (Array.isArray(list)) for (const s of list) if (isObject(s)) out.push(...expand(s, root, depth + 1));
  }
  return out;
}

function resolveRef(root: Schema, ref: string): Schema | undefined {
  if (!ref.startsWith('#')) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? (node as Record<string, unknown>)[part] : undefined;
  }
  return isObject(node) ? node : undefined;
}

/**
 * The schemas a key is declared by: `properties[key]`, a matching `patternProperties`, or an
 * `additionalProperties` schema (a typed map declares every key). `additionalProperties: true`
 * or its absence declares nothing.
 */
function propertySchemas(schema: Schema, key: string): Schema[] {
  const out: Schema[] = [];
  const props = schema.properties;
  if (isObject(props) && Object.prototype.hasOwnProperty.call(props, key)) {
    const s = (props as Record<string, unknown>)[key];
    out.push(isObject(s) ? s : {});
  }
  const patterns = schema.patternProperties;
  if (isObject(patterns)) {
    for (const [re, s] of Object.entries(patterns)) if (new RegExp(re, 'u').test(key)) out.push(isObject(s) ? s : {});
  }
  if (isObject(schema.additionalProperties)) out.push(schema.additionalProperties);
  return out;
}

function mergeDeep(base: JsonObject, over: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? mergeDeep(b as JsonObject, v as JsonObject) : v;
  }
  return out;
}

function isObject(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
