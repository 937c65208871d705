/**
 * The shape docs/architecture.md promises: no import cycle anywhere in lib/ (type-only imports
 * included), neither between files nor between lib/'s folders (each top-level folder and file one
 * node); the contracts stand on the ground floor; nothing imports the pipeline or the commands
 * from below; a mesh type, a GitOps engine or an add-on is imported only by its registry; and no
 * file grows past what one reading holds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const LIB = join(ROOT, 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** lib-relative POSIX path of every file → the lib files it imports (values and types alike). */
export function importGraph(files: string[] = sources(LIB)): Map<string, string[]> {
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  const rel = (f: string): string => relative(LIB, f).split(sep).join('/');
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      const base = resolve(dirname(file), spec);
      const target = [`${base}.ts`, join(base, 'index.ts'), base].find((c) => known.has(c));
      if (target) targets.add(rel(target));
    }
    graph.set(rel(file), [...targets].sort());
  }
  return graph;
}

/** Every cycle, as the list of files around it (each reported once). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return found;
}

/** The graph with each top-level folder or file of lib/ as one node ("mesh", "kube.ts"). */
export function folderGraph(files: Map<string, string[]>): Map<string, string[]> {
  const top = (path: string): string => path.split('/')[0]!;
  const out = new Map<string, Set<string>>();
  for (const [from, targets] of files) {
    const edges = out.get(top(from)) ?? new Set<string>();
    for (const to of targets) if (top(to) !== top(from)) edges.add(top(to));
    out.set(top(from), edges);
  }
  return new Map([...out].map(([k, v]) => [k, [...v].sort()]));
}

/** Imports (file → file) that leave `folder` for anything but `allowed`. */
function importsOutside(files: Map<string, string[]>, folder: string, allowed: readonly string[]): string[] {
  const ok = (to: string): boolean => to.startsWith(`${folder}/`) || allowed.some((a) => to === a || to.startsWith(`${a}/`));
  return [...files].filter(([from]) => from.startsWith(`${folder}/`)).flatMap(([from, targets]) => targets.filter((t) => !ok(t)).map((t) => `${from} imports ${t}`));
}

const graph = importGraph();
const folders = folderGraph(graph);

describe('lib/ import graph', () => {
  it('has no cycle, type-only imports included', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });

  it('finds a planted cycle (the check can fail)', () => {
    const planted = new Map(graph);
    planted.set('contracts/plan.ts', [...(planted.get('contracts/plan.ts') ?? []), 'mesh/istio/index.ts']);
    expect(cycles(planted).length).toBeGreaterThan(0);
  });

  it.each([
    ['mesh', 'mesh/registry.ts'],
    ['gitops', 'gitops/registry.ts'],
    ['addons', 'addons/registry.ts'],
  ])('a module folder under lib/%s/ is imported only by its own files and %s', (kind, registry) => {
    const offenders: string[] = [];
    for (const [from, targets] of graph) {
      for (const to of targets) {
        const m = to.match(new RegExp(`^${kind}/([^/]+)/`));
        if (!m) continue;
        if (from.startsWith(`${kind}/${m[1]}/`) || from === registry) continue;
        offenders.push(`${from} imports ${to}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

describe('lib/ folders', () => {
  it('import each other without a cycle', () => {
    expect(folders.size).toBeGreaterThan(15);
    expect(cycles(folders).map((c) => c.join(' → '))).toEqual([]);
  });

  it('finds a planted folder cycle (the check can fail)', () => {
    const planted = new Map(graph);
    planted.set('fleet/types.ts', [...(planted.get('fleet/types.ts') ?? []), 'render/render.ts']);
    expect(cycles(folderGraph(planted)).length).toBeGreaterThan(0);
  });

  it('contracts/ imports only fleet/, kube.ts, errors.ts and format/', () => {
    expect(importsOutside(graph, 'contracts', ['fleet', 'kube.ts', 'errors.ts', 'format'])).toEqual([]);
  });

  it('format/ imports nothing of the project', () => {
    expect(importsOutside(graph, 'format', [])).toEqual([]);
  });

  it('nothing below pipeline/ and cli/ imports them, and only cli/ imports pipeline/', () => {
    const offenders = [...graph].flatMap(([from, targets]) => targets
      .filter((to) => (to.startsWith('cli/') && !from.startsWith('cli/')) || (to.startsWith('pipeline/') && !from.startsWith('pipeline/') && !from.startsWith('cli/')))
      .map((to) => `${from} imports ${to}`));
    expect(offenders).toEqual([]);
  });

  it('has no file over 400 lines, and cli/main.ts under 200', () => {
    const long = [...graph.keys()].map((f) => [f, readFileSync(join(LIB, f), 'utf8').split('\n').length - 1] as const)
      .filter(([f, n]) => n > (f === 'cli/main.ts' ? 199 : 400)).map(([f, n]) => `${f}: ${n} lines`);
    expect(long).toEqual([]);
  });
});
