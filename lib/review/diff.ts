/**
 * The semantic diff of two output trees: per cluster, stage and object (apiVersion, kind,
 * namespace, name) what was added, removed or changed, and for a changed object the field paths
 * with old → new values (lists of named items matched by name, as dyff does).
 *
 * Secrets never show a value: a plain Secret's data is "(secret value)"; a SOPS-encrypted one is
 * compared by what is in the clear (metadata, type, the data keys, the age recipients) and, for an
 * encrypted value that is a certificate, by the public certificate in the CA store (subject,
 * serial, expiry). Ciphertext, nonces, MACs and timestamps are never compared or printed.
 */
import { X509Certificate } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../kube';
import type { Tree } from '../contracts/tree';
import type { LocatedObject, ObjectRef } from '../contracts/tree';

export type Change = 'added' | 'removed' | 'changed';

export interface FieldChange {
  readonly path: string;
  readonly change: Change;
  /** Printable old and new values (already masked where secret). */
  readonly old?: string;
  readonly new?: string;
  /** What a masked change means, e.g. the certificate behind an encrypted value. */
  readonly note?: string;
}

export interface ObjectChange {
  readonly ref: ObjectRef;
  readonly change: Change;
  /** For `changed`: what changed, in field order. */
  readonly fields: readonly FieldChange[];
}

export interface FileChange {
  readonly path: string;
  readonly change: Change;
}

export interface CertInfo {
  readonly subject: string;
  readonly serial: string;
  readonly notAfter: string;
}

export interface CertChange {
  /** Path in the CA store, e.g. kt-k2p/ca-cert.pem. */
  readonly file: string;
  readonly old?: CertInfo;
  readonly new?: CertInfo;
}

export interface TreeDiff {
  readonly objects: readonly ObjectChange[];
  /** Files that hold no Kubernetes object (dist/README.md). */
  readonly files: readonly FileChange[];
  /** Public certificates of the CA store that differ between the two sides. */
  readonly certificates: readonly CertChange[];
}

export interface DiffInput {
  readonly old: Tree;
  readonly new: Tree;
  /** The CA store's files on each side (only public *.pem are read); undefined when unknown. */
  readonly pki?: { readonly old?: Tree; readonly new: Tree };
}

export const isEmpty = (d: TreeDiff): boolean => d.objects.length === 0 && d.files.length === 0;

/** Where an output path belongs: manifests/<cluster>/<stage>/…, clusters/<cluster>/… (delivery), <folder>/<cluster>.yaml. */
export function locate(path: string): { cluster: string; stage: string } {
  const parts = path.split('/');
  if (parts[0] === 'manifests' && parts.length >= 4) return { cluster: parts[1]!, stage: parts[2]! };
  if (parts[0] === 'clusters' && parts.length >= 3) return { cluster: parts[1]!, stage: 'delivery' };
  if (parts.length === 2) return { cluster: parts[1]!.replace(/\.ya?ml$/, ''), stage: parts[0]! };
  return { cluster: '(fleet)', stage: parts.slice(0, -1).join('/') || '.' };
}

type Located = LocatedObject;

const key = (r: ObjectRef): string => [r.cluster, r.stage, r.apiVersion, r.kind, r.namespace ?? '', r.name].join('\0');

/** Every object of every YAML file in a tree, by identity. */
function objectsOf(tree: Tree): { objects: Map<string, Located>; other: Map<string, string> } {
  const objects = new Map<string, Located>();
  const other = new Map<string, string>();
  for (const [path, text] of tree) {
    if (!/\.ya?ml$/.test(path)) {
      other.set(path, text);
      continue;
    }
    const { cluster, stage } = locate(path);
    let docs: unknown[];
    try {
      docs = parseAllDocuments(text).map((d) => d.toJS());
    } catch {
      other.set(path, text);
      continue;
    }
    let found = 0;
    for (const doc of docs) {
      if (doc === null || typeof doc !== 'object' || typeof (doc as KubeObject).kind !== 'string') continue;
      const object = doc as KubeObject;
      const ref: ObjectRef = {
        cluster, stage, apiVersion: String(object.apiVersion ?? ''), kind: object.kind,
        ...(object.metadata?.namespace ? { namespace: object.metadata.namespace } : {}),
        name: object.metadata?.name ?? path.split('/').pop()!, path,
      };
      objects.set(key(ref), { ref, object });
      found++;
    }
    if (found === 0) other.set(path, text);
  }
  return { objects, other };
}

/**
 * The objects only `old` has and those only `new` has (by identity), for what a change deletes
 * on live clusters. Cheap when nothing was removed or changed: files equal on both sides are not parsed.
 */
export function objectChanges(old: Tree, next: Tree): { removed: LocatedObject[]; added: LocatedObject[] } {
  const touched = (a: Tree, b: Tree): Tree => new Map([...a].filter(([p, t]) => b.get(p) !== t));
  const before = objectsOf(touched(old, next)).objects;
  const after = objectsOf(touched(next, old)).objects;
  return {
    removed: [...before].filter(([k]) => !after.has(k)).map(([, v]) => v),
    added: [...after].filter(([k]) => !before.has(k)).map(([, v]) => v),
  };
}

/** How many objects a tree holds under a folder (dist-relative, no trailing slash), by kind. */
export function objectsUnder(tree: Tree, folder: string): Map<string, number> {
  const kinds = new Map<string, number>();
  const inside = new Map([...tree].filter(([p]) => p.startsWith(`${folder}/`)));
  for (const { ref } of objectsOf(inside).objects.values()) {
    // kustomization.yaml is kustomize's build file, not an object on the cluster.
    if (ref.apiVersion.startsWith('kustomize.config.k8s.io/')) continue;
    kinds.set(ref.kind, (kinds.get(ref.kind) ?? 0) + 1);
  }
  return kinds;
}

export function diffTrees(input: DiffInput): TreeDiff {
  const a = objectsOf(input.old);
  const b = objectsOf(input.new);
  const certificates = diffCertificates(input.pki?.old, input.pki?.new);
  const certCtx: CertContext = { changes: certificates, known: input.pki?.old !== undefined };
  const objects: ObjectChange[] = [];
  for (const [k, { ref, object }] of b.objects) {
    const before = a.objects.get(k);
    if (!before) {
      objects.push({ ref, change: 'added', fields: [] });
      continue;
    }
    const fields = diffObject(before.object, object, ref, certCtx);
    if (fields.length > 0) objects.push({ ref, change: 'changed', fields });
  }
  for (const [k, { ref }] of a.objects) if (!b.objects.has(k)) objects.push({ ref, change: 'removed', fields: [] });
  objects.sort((x, y) => compareRefs(x.ref, y.ref));
  // Files without objects (README.md, or a YAML file edited into something else) by path.
  const fileChanges = new Map<string, Change>();
  for (const path of new Set([...a.other.keys(), ...b.other.keys()])) {
    if (!input.old.has(path)) fileChanges.set(path, 'added');
    else if (!input.new.has(path)) fileChanges.set(path, 'removed');
    else if (input.old.get(path) !== input.new.get(path)) fileChanges.set(path, 'changed');
  }
  const files: FileChange[] = [...fileChanges].map(([path, change]) => ({ path, change })).sort((x, y) => cmp(x.path, y.path));
  return { objects, files, certificates };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Clusters, then the stage order of the paths, then kind, namespace, name. */
function compareRefs(a: ObjectRef, b: ObjectRef): number {
  return cmp(a.cluster, b.cluster) || cmp(a.stage, b.stage) || cmp(a.kind, b.kind) || cmp(a.namespace ?? '', b.namespace ?? '') || cmp(a.name, b.name) || cmp(a.apiVersion, b.apiVersion);
}

// ---------------------------------------------------------------------------------------------
// Objects and fields

interface CertContext {
  readonly changes: readonly CertChange[];
  /** Whether the old side of the CA store is known (false: only the new one). */
  readonly known: boolean;
}

const ENCRYPTED = /^ENC\[[A-Z0-9_]+,data:/;
const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function diffObject(a: KubeObject, b: KubeObject, ref: ObjectRef, certs: CertContext): FieldChange[] {
  const out: FieldChange[] = [];
  const sopsA = a.sops as Record<string, unknown> | undefined;
  const sopsB = b.sops as Record<string, unknown> | undefined;
  const { sops: _a, ...restA } = a;
  const { sops: _b, ...restB } = b;
  const secret = a.kind === 'Secret' || b.kind === 'Secret' || sopsA !== undefined || sopsB !== undefined;
  walk(restA, restB, '', out, { secret, encrypted: false, ref, certs });
  if (sopsA || sopsB) {
    const rec = (s: Record<string, unknown> | undefined): string[] =>
      ((s?.age as { recipient?: string }[] | undefined) ?? []).map((r) => r.recipient ?? '').sort();
    const [ra, rb] = [rec(sopsA), rec(sopsB)];
    for (const r of rb.filter((x) => !ra.includes(x))) out.push({ path: 'sops.age[].recipient', change: 'added', new: r });
    for (const r of ra.filter((x) => !rb.includes(x))) out.push({ path: 'sops.age[].recipient', change: 'removed', old: r });
    if (sopsA === undefined || sopsB === undefined) {
      out.push({ path: 'sops', change: sopsA ? 'removed' : 'added', note: sopsA ? 'no longer SOPS-encrypted' : 'now SOPS-encrypted' });
    }
  }
  return out;
}

interface WalkContext {
  /** Below a Secret's data/stringData: never print a value. */
  readonly secret: boolean;
  readonly encrypted: boolean;
  readonly ref: ObjectRef;
  readonly certs: CertContext;
}

const join = (path: string, k: string): string => (path === '' ? k : /^[A-Za-z_][\w-]*$/.test(k) ? `${path}.${k}` : `${path}["${k}"]`);

function walk(a: unknown, b: unknown, path: string, out: FieldChange[], ctx: WalkContext): void {
  if (same(a, b)) return;
  const masked = ctx.secret && /^(data|stringData)\./.test(path) || (ctx.secret && /^(data|stringData)\[/.test(path));
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    for (const k of keys) {
      const p = join(path, k);
      if (!(k in b)) out.push({ path: p, change: 'removed', old: show(a[k], p, ctx) });
      else if (!(k in a)) out.push({ path: p, change: 'added', new: show(b[k], p, ctx) });
      else walk(a[k], b[k], p, out, ctx);
    }
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && !masked) {
    if (named(a) && named(b)) {
      const byName = (xs: Record<string, unknown>[]): Map<string, Record<string, unknown>> => new Map(xs.map((x) => [String(x.name), x]));
      const [ma, mb] = [byName(a), byName(b)];
      for (const [n, item] of mb) {
        const p = `${path}[name=${n}]`;
        if (!ma.has(n)) out.push({ path: p, change: 'added', new: show(item, p, ctx) });
        else walk(ma.get(n), item, p, out, ctx);
      }
      for (const [n, item] of ma) if (!mb.has(n)) out.push({ path: `${path}[name=${n}]`, change: 'removed', old: show(item, path, ctx) });
      return;
    }
    if (a.every((x) => !isPlain(x) && !Array.isArray(x)) && b.every((x) => !isPlain(x) && !Array.isArray(x))) {
      const [sa, sb] = [a.map((x) => JSON.stringify(x)), b.map((x) => JSON.stringify(x))];
      const added = b.filter((_, i) => !sa.includes(sb[i]!));
      const removed = a.filter((_, i) => !sb.includes(sa[i]!));
      if (added.length + removed.length === 0) {
        out.push({ path, change: 'changed', old: show(a, path, ctx), new: show(b, path, ctx), note: 'order' });
        return;
      }
      for (const x of added) out.push({ path: `${path}[]`, change: 'added', new: show(x, path, ctx) });
      for (const x of removed) out.push({ path: `${path}[]`, change: 'removed', old: show(x, path, ctx) });
      return;
    }
    if (a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], `${path}[${i}]`, out, ctx));
      return;
    }
  }
  const change: FieldChange = { path, change: 'changed', old: show(a, path, ctx), new: show(b, path, ctx) };
  const note = masked ? encryptedNote(a, b, path, ctx) : undefined;
  out.push(note ? { ...change, note } : change);
}

function named(xs: unknown[]): xs is Record<string, unknown>[] {
  if (xs.length === 0 || !xs.every((x) => isPlain(x) && typeof x.name === 'string')) return false;
  return new Set(xs.map((x) => (x as { name: string }).name)).size === xs.length;
}

/** A value as printed: secret values masked, long strings summarised by the printer. */
function show(value: unknown, path: string, ctx: WalkContext): string {
  if (ctx.secret && /^(data|stringData)(\.|\[|$)/.test(path)) return mask(value);
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function mask(value: unknown): string {
  if (typeof value === 'string') return ENCRYPTED.test(value) ? '(encrypted)' : '(secret value)';
  if (isPlain(value)) return `{${Object.keys(value).map((k) => `${k}: ${mask(value[k])}`).join(', ')}}`;
  return '(secret value)';
}

/**
 * What an encrypted value's change means, from the CA store's public certificates: the data key
 * `ca-cert.pem` of a Secret in cluster <c> is pki/<c>/ca-cert.pem (or pki/ca-cert.pem, fleet-wide).
 */
function encryptedNote(a: unknown, b: unknown, path: string, ctx: WalkContext): string | undefined {
  const dataKey = path.replace(/^(data|stringData)\./, '').replace(/^(data|stringData)\["(.*)"\]$/, '$2');
  const enc = typeof a === 'string' && ENCRYPTED.test(a) || typeof b === 'string' && ENCRYPTED.test(b);
  if (!enc) return undefined;
  if (!dataKey.endsWith('.pem') || /key/.test(dataKey)) return 'private value, not shown';
  const candidates = [`${ctx.ref.cluster}/${dataKey}`, dataKey];
  const cert = ctx.certs.changes.find((c) => candidates.includes(c.file));
  if (cert) return `certificate ${cert.file}: ${describeCertChange(cert)}`;
  return ctx.certs.known ? `re-encrypted; the certificate (${candidates[0]}) is unchanged` : 're-encrypted';
}

// ---------------------------------------------------------------------------------------------
// Certificates of the CA store

export function certInfo(pem: string): CertInfo | undefined {
  try {
    const cert = new X509Certificate(pem);
    return {
      subject: cert.subject.split('\n').join(', '),
      serial: cert.serialNumber.toLowerCase(),
      notAfter: new Date(cert.validTo).toISOString().slice(0, 10),
    };
  } catch {
    return undefined;
  }
}

function diffCertificates(old: Tree | undefined, now: Tree | undefined): CertChange[] {
  if (!old || !now) return [];
  const pems = (t: Tree): Map<string, string> => new Map([...t].filter(([p, text]) => p.endsWith('.pem') && text.includes('BEGIN CERTIFICATE')));
  const [a, b] = [pems(old), pems(now)];
  const out: CertChange[] = [];
  for (const file of [...new Set([...a.keys(), ...b.keys()])].sort(cmp)) {
    if (a.get(file) === b.get(file)) continue;
    const [ia, ib] = [a.has(file) ? certInfo(a.get(file)!) : undefined, b.has(file) ? certInfo(b.get(file)!) : undefined];
    out.push({ file, ...(ia ? { old: ia } : {}), ...(ib ? { new: ib } : {}) });
  }
  return out;
}

export function describeCertChange(c: CertChange): string {
  const one = (i: CertInfo): string => `${i.subject}, serial ${i.serial}, expires ${i.notAfter}`;
  if (!c.old) return `added (${one(c.new!)})`;
  if (!c.new) return `removed (was ${one(c.old)})`;
  const parts: string[] = [];
  if (c.old.subject !== c.new.subject) parts.push(`subject ${c.old.subject} → ${c.new.subject}`);
  parts.push(`serial ${c.old.serial} → ${c.new.serial}`);
  parts.push(c.old.notAfter !== c.new.notAfter ? `expires ${c.old.notAfter} → ${c.new.notAfter}` : `expires ${c.new.notAfter}`);
  return `${parts.join(', ')}${c.old.subject === c.new.subject ? ` (${c.new.subject})` : ''}`;
}
