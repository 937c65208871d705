/** diffTrees on hand-made trees: identities, named lists, and secrets never printed. */
import { describe, expect, it } from 'vitest';
import { diffTrees } from '../../lib/review/diff';
import { formatText, lineDiff } from '../../lib/review/format';

const tree = (files: Record<string, string>): Map<string, string> => new Map(Object.entries(files));

describe('diffTrees', () => {
  it('never prints a plain Secret\'s values, old or new, added or changed', () => {
    const secret = (v: Record<string, string>): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\nstringData:\n${Object.entries(v).map(([k, x]) => `  ${k}: ${x}`).join('\n')}\n`;
    const d = diffTrees({
      old: tree({ 'manifests/c/mesh-config/secret-s.yaml': secret({ token: 'hunter2', keep: 'same' }) }),
      new: tree({ 'manifests/c/mesh-config/secret-s.yaml': secret({ token: 'swordfish', extra: 'topsecret', keep: 'same' }) }),
    });
    const text = formatText(d);
    expect(d.objects.map((o) => o.fields.map((f) => `${f.path} ${f.change}`))).toEqual([['stringData.token changed', 'stringData.extra added']]);
    expect(text).not.toMatch(/hunter2|swordfish|topsecret/);
    expect(text).toContain('± (secret value) → (secret value)');
  });

  it('matches named list items by name and an object by apiVersion/kind/namespace/name, not by file', () => {
    const dep = (image: string, file: string): Record<string, string> => ({
      [file]: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: n\nspec:\n  template:\n    spec:\n      containers:\n        - name: b\n          image: b:1\n        - name: a\n          image: ${image}\n`,
    });
    const d = diffTrees({ old: tree(dep('a:1', 'manifests/c/apps/deployment-d.yaml')), new: tree(dep('a:2', 'manifests/c/apps/renamed.yaml')) });
    expect(d.objects).toHaveLength(1);
    expect(d.objects[0]!.fields).toEqual([{ path: 'spec.template.spec.containers[name=a].image', change: 'changed', old: 'a:1', new: 'a:2' }]);
  });

  it('shows a multi-line string as its changed lines', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual(['- b', '+ B', '+ d']);
  });
});
