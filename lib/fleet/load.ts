/**
 * fleet.yaml → Fleet: parse (keeping positions), validate against the JSON Schema, check the
 * cross-cluster rules, resolve defaults. Every problem found is reported at once, each with its
 * path, line:column, value, rule and fix.
 */
import { isIP } from 'node:net';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { FleetError, type Problem } from '../errors';
import { DEFAULTS, resolveFleet, type RawFleet } from './defaults';
import { contains, overlaps, parseRange, type IpRange } from '../net/ip';
import { fleetSchema } from './schema';
import { compareVersions } from './semver';
import type { Fleet } from './types';

type Segment = string | number;

const MIN_ISTIO = '1.24.0';

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
const validateSchema = ajv.compile(fleetSchema);

/** Parses and validates fleet.yaml text; `file` is only used in messages. */
export function loadFleet(text: string, file = 'fleet.yaml'): Fleet {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (path: Segment[], key = false): string | undefined => locate(doc, lineCounter, path, key);

  if (doc.errors.length > 0) {
    throw new FleetError(file, doc.errors.map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return {
        path: '',
        rule: `YAML syntax: ${e.message.split('\n')[0]}`,
        fix: 'correct the YAML at the position shown (indentation, quotes, duplicate keys)',
        position: `${pos.line}:${pos.col}`,
      };
    }));
  }
  const raw: unknown = doc.toJS();
  if (!validateSchema(raw)) {
    throw new FleetError(file, schemaProblems(validateSchema.errors ?? [], at));
  }
  const problems = crossClusterProblems(raw as unknown as RawFleet, at);
  if (problems.length > 0) throw new FleetError(file, problems);
  return resolveFleet(raw as unknown as RawFleet);
}

/** Turns ajv errors into problems, dropping the noise ajv adds around `const`/`enum` unions. */
function schemaProblems(errors: ErrorObject[], at: (path: Segment[], key?: boolean) => string | undefined): Problem[] {
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

/** Rules JSON Schema cannot express: uniqueness across clusters and value formats with logic. */
function crossClusterProblems(fleet: RawFleet, at: (path: Segment[]) => string | undefined): Problem[] {
  const problems: Problem[] = [];
  const add: AddProblem = (path, value, rule, fix) => {
    const position = at(path);
    problems.push({ path: formatPath(path), value, rule, fix, ...(position ? { position } : {}) });
  };
  const clusters = fleet.spec.clusters;

  const unique = (field: 'name' | 'context' | 'network', valueOf: (i: number) => string, fix: string): void => {
    const first = new Map<string, number>();
    clusters.forEach((_, i) => {
      const value = valueOf(i);
      const earlier = first.get(value);
      if (earlier === undefined) first.set(value, i);
      else {
        const explicit = clusters[i]![field] !== undefined;
        add(['spec', 'clusters', i, ...(explicit ? [field] : [])], value,
          `${field} must be unique across clusters; spec.clusters[${earlier}] has ${field} ${JSON.stringify(value)} already` +
          (explicit ? '' : ` (the ${field} defaults to the cluster name)`), fix);
      }
    });
  };
  unique('name', (i) => clusters[i]!.name, 'give every cluster its own name');
  unique('context', (i) => clusters[i]!.context ?? clusters[i]!.name, 'point every cluster at its own kubeconfig context');
  unique('network', (i) => clusters[i]!.network ?? clusters[i]!.name,
    'give every cluster its own network (multi-primary on different networks), e.g. network1, network2, ...');

  clusters.forEach((c, i) => {
    const apiProblem = apiServerProblem(c.apiServer);
    if (apiProblem) add(['spec', 'clusters', i, 'apiServer'], c.apiServer, apiProblem, 'use the https:// URL the other clusters reach this API server at, e.g. "https://203.0.113.1:6443"');
    const address = c.gateway?.address;
    if (address !== undefined && !isAddress(address)) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address, 'must be an IPv4 or IPv6 address or a DNS name',
        'use the address the other clusters reach this east-west gateway at, e.g. "203.0.113.10"');
    }
  });

  addOnProblems(clusters, add);

  const ca = fleet.spec.mesh.istio?.ca;
  const rootDays = ca?.rootValidityDays ?? DEFAULTS.caRootValidityDays;
  if (ca?.intermediateValidityDays !== undefined && ca.intermediateValidityDays > rootDays) {
    add(['spec', 'mesh', 'istio', 'ca', 'intermediateValidityDays'], ca.intermediateValidityDays,
      `must not outlive the root (rootValidityDays ${rootDays}); workload certificates are cut at the earliest expiry in the chain`,
      'lower intermediateValidityDays or raise rootValidityDays');
  }

  const version = fleet.spec.mesh.istio?.version;
  if (version !== undefined && compareVersions(version, MIN_ISTIO) < 0) {
    add(['spec', 'mesh', 'istio', 'version'], version, `meshfleet installs Istio with Helm charts through Flux, which needs Istio ${MIN_ISTIO} or later (CRDs are chart templates since 1.24)`,
      'use Istio 1.24 or later, e.g. "1.26.8"');
  }
  return problems;
}

type AddProblem = (path: Segment[], value: unknown, rule: string, fix: string) => void;

/** MetalLB pools, metrics-server flags and Cilium settings (issue-4 add-ons). */
function addOnProblems(clusters: RawFleet['spec']['clusters'], add: AddProblem): void {
  const pools: { range: IpRange; path: Segment[]; text: string }[] = [];
  clusters.forEach((c, i) => {
    const cni = c.cni ?? DEFAULTS.cni;
    if (c.cilium && cni !== 'cilium') {
      add(['spec', 'clusters', i, 'cilium'], c.cilium, `cilium settings only apply to clusters with cni: cilium (this one has cni: ${cni})`,
        'remove the cilium block, or set cni: cilium if the cluster runs Cilium');
    }
    if (c.metricsServer?.args?.some((a) => a.startsWith('--kubelet-insecure-tls'))) {
      const j = c.metricsServer.args.findIndex((a) => a.startsWith('--kubelet-insecure-tls'));
      add(['spec', 'clusters', i, 'metricsServer', 'args', j], c.metricsServer.args[j], 'the insecure kubelet TLS flag has a field of its own',
        'remove it from args and set metricsServer.kubeletInsecureTLS: true (README: what it disables)');
    }
    if (!c.metallb) return;
    const ranges: IpRange[] = [];
    c.metallb.addresses.forEach((text, j) => {
      const path: Segment[] = ['spec', 'clusters', i, 'metallb', 'addresses', j];
      const range = parseRange(text);
      if (!range) {
        add(path, text, 'must be a CIDR or a first-last address range', 'use e.g. "203.0.113.10/32" or "203.0.113.10-203.0.113.20"');
        return;
      }
      const clash = pools.find((p) => overlaps(p.range, range));
      if (clash) {
        add(path, text, `overlaps ${formatPath(clash.path)} (${clash.text}); MetalLB pools must not overlap across the fleet`,
          'give every cluster its own addresses');
      }
      pools.push({ range, path, text });
      ranges.push(range);
    });
    const address = c.gateway?.address;
    if (address !== undefined && ranges.length === c.metallb.addresses.length && !ranges.some((r) => contains(r, address))) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address,
        `must lie inside this cluster's MetalLB pool (${c.metallb.addresses.join(', ')}), which assigns it to the east-west gateway`,
        'add the address to metallb.addresses, or pin an address from the pool');
    }
  });
}

function apiServerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (url.pathname !== '/' || url.search || url.hash || url.username) return 'must be scheme, host and port only (no path, query or credentials)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isAddress(host)) return 'host must be an IP address or a DNS name';
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') {
    return 'must be reachable from the other clusters; a loopback address only works on this machine';
  }
  return undefined;
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
