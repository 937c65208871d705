/** How `npm run diff` prints a TreeDiff: plain text for a terminal, Markdown for a pull request comment. */
import { describeCertChange, type Change, type FieldChange, type ObjectChange, type TreeDiff } from './diff';
import type { ObjectRef } from '../contracts/tree';

const SIGN: Record<Change, string> = { added: '+', removed: '-', changed: '±' };

export function objectLabel(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** "kt-k2p/mesh HelmRelease istio-system/istiod" */
export function objectId(r: ObjectRef): string {
  return `${r.cluster}/${r.stage} ${objectLabel(r)}`;
}

export function counts(d: TreeDiff): Record<Change, number> {
  const c: Record<Change, number> = { added: 0, removed: 0, changed: 0 };
  for (const o of d.objects) c[o.change]++;
  return c;
}

export function summaryLine(d: TreeDiff): string {
  const c = counts(d);
  const files = d.files.length > 0 ? `, ${d.files.length} other file(s)` : '';
  return `${c.added} added, ${c.removed} removed, ${c.changed} changed object(s)${files}`;
}

function byCluster(d: TreeDiff): Map<string, ObjectChange[]> {
  const out = new Map<string, ObjectChange[]>();
  for (const o of d.objects) out.set(o.ref.cluster, [...(out.get(o.ref.cluster) ?? []), o]);
  return out;
}

/** A multi-line string change as a line diff; a one-line one as old → new. */
function valueLines(f: FieldChange, indent: string): string[] {
  const multi = (s: string | undefined): boolean => s !== undefined && s.includes('\n');
  if (f.change === 'changed' && (multi(f.old) || multi(f.new))) {
    return lineDiff(f.old ?? '', f.new ?? '').map((l) => `${indent}${l}`);
  }
  const one = (s: string | undefined): string => (s === undefined ? '' : multi(s) ? `(${s.split('\n').length} lines)` : s === '' ? '""' : s);
  if (f.change === 'added') return [`${indent}+ ${one(f.new)}`];
  if (f.change === 'removed') return [`${indent}- ${one(f.old)}`];
  return [`${indent}± ${one(f.old)} → ${one(f.new)}`];
}

/** Lines only in a ("- "), only in b ("+ "), by longest common subsequence; unchanged lines left out. */
export function lineDiff(a: string, b: string): string[] {
  const x = a.replace(/\n$/, '').split('\n');
  const y = b.replace(/\n$/, '').split('\n');
  if (x.length * y.length > 250_000) return [`- (${x.length} lines)`, `+ (${y.length} lines)`];
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (i < x.length && (j === y.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${x[i++]}`);
    else out.push(`+ ${y[j++]}`);
  }
  return out;
}

function fieldLines(o: ObjectChange, indent: string): string[] {
  return o.fields.flatMap((f) => [
    `${indent}${f.path}${f.note ? `  (${f.note})` : ''}`,
    ...valueLines(f, `${indent}  `),
  ]);
}

/** The terminal form, dyff-style: per cluster, each object with its fields and old → new values. */
export function formatText(d: TreeDiff): string {
  const lines: string[] = [];
  for (const [cluster, objs] of byCluster(d)) {
    lines.push(cluster);
    for (const o of objs) {
      lines.push(`  ${SIGN[o.change]} ${o.ref.stage}  ${objectLabel(o.ref)}  ${o.change}${o.ref.apiVersion ? `  (${o.ref.apiVersion})` : ''}`);
      lines.push(...fieldLines(o, '      '));
    }
  }
  if (d.certificates.length > 0) {
    lines.push('certificates (CA store, public)');
    for (const c of d.certificates) lines.push(`  ${c.file}: ${describeCertChange(c)}`);
  }
  if (d.files.length > 0) {
    lines.push('other files');
    for (const f of d.files) lines.push(`  ${SIGN[f.change]} ${f.path}  ${f.change}`);
  }
  lines.push(d.objects.length + d.files.length === 0 ? 'no differences' : summaryLine(d));
  return lines.join('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The pull-request form: one summary line, then per cluster a table and the field changes in <details>. */
export function formatMarkdown(d: TreeDiff, title: string): string {
  const out: string[] = [`### ${title}`, ''];
  if (d.objects.length + d.files.length === 0) {
    out.push('No differences: every cluster gets exactly the same objects.');
    return out.join('\n');
  }
  out.push(`**${summaryLine(d)}**`, '');
  for (const [cluster, objs] of byCluster(d)) {
    const c = { added: 0, removed: 0, changed: 0 };
    for (const o of objs) c[o.change]++;
    out.push(`<details><summary><b>${cluster}</b>: ${c.added} added, ${c.removed} removed, ${c.changed} changed</summary>`, '');
    out.push('| stage | object | change |', '|---|---|---|');
    for (const o of objs) {
      out.push(`| ${cell(o.ref.stage)} | ${cell(objectLabel(o.ref))} | ${o.change}${o.fields.length > 0 ? ` (${o.fields.length} field${o.fields.length === 1 ? '' : 's'})` : ''} |`);
    }
    const changed = objs.filter((o) => o.fields.length > 0);
    if (changed.length > 0) {
      out.push('', '```diff');
      for (const o of changed) out.push(`@@ ${o.ref.stage} ${objectLabel(o.ref)} @@`, ...fieldLines(o, '  '));
      out.push('```');
    }
    out.push('', '</details>', '');
  }
  if (d.certificates.length > 0) {
    out.push('| certificate | change |', '|---|---|');
    for (const c of d.certificates) out.push(`| \`${c.file}\` | ${cell(describeCertChange(c))} |`);
    out.push('');
  }
  if (d.files.length > 0) out.push(`Other files: ${d.files.map((f) => `\`${f.path}\` ${f.change}`).join(', ')}`, '');
  return out.join('\n').trimEnd();
}
