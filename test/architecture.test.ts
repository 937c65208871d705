/**
 * The shape docs/architecture.md promises: no import cycle anywhere in lib/ (type-only imports
 * included), and a mesh type, a GitOps engine or an add-on is imported only by its registry.
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

const graph = importGraph();

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
