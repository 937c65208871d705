/** The README documents what the code does: the --help text and every default. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HELP } from '../lib/cli/main';
import { CILIUM_ISTIO_DEFAULTS } from '../lib/addons/cilium-istio';
import { METALLB_DEFAULTS } from '../lib/addons/metallb/defaults';
import { METRICS_SERVER_DEFAULTS } from '../lib/addons/metrics-server';
import { CORE_DEFAULTS } from '../lib/fleet/defaults';
import { MESHES } from '../lib/mesh/registry';
import { ISTIO_DEFAULTS } from '../lib/mesh/istio/defaults';
import { LINKERD_DEFAULTS } from '../lib/mesh/linkerd/defaults';
import { CILIUM_DEFAULTS } from '../lib/mesh/cilium/defaults';
import { fleetSchemaFor } from '../lib/pipeline';
import { STAGES } from '../lib/contracts/stages';
import { ROOT } from './helpers';
import { withReference } from '../scripts/cli-reference';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('starts with the two set-up commands', () => {
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toContain('npm ci && npm run synth');
    expect(firstBlock).toContain('npm test');
  });

  it('carries the --help text verbatim', () => {
    expect(readme).toContain(HELP);
  });

  it('has the command-line reference `npm run cli-reference` makes from every command\'s help', () => {
    expect(withReference(readme), 'README.md\'s "Command line" is stale: run `npm run cli-reference`').toBe(readme);
    expect(readme).toContain('#### `pki`');
  });

  const reference = readme.slice(readme.indexOf('| field | required | default | rule |'), readme.indexOf('## Command line'));
  const documented = new Set([...reference.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!));

  it('documents every default of fleet.yaml, from every module', () => {
    const all = { ...CORE_DEFAULTS, ...ISTIO_DEFAULTS, ...LINKERD_DEFAULTS, ...METALLB_DEFAULTS, ...METRICS_SERVER_DEFAULTS, ...CILIUM_ISTIO_DEFAULTS, ...CILIUM_DEFAULTS };
    for (const [key, value] of Object.entries(all)) {
      expect(reference, key).toContain(`\`${String(value)}\``);
    }
  });

  it('has a row for every field of the fleet.yaml schema of every mesh type, and none that the schema lacks', () => {
    const fields = new Set<string>();
    for (const type of Object.keys(MESHES)) {
      for (const [path, leaf] of schemaFields(fleetSchemaFor(type))) {
        if (leaf) expect(documented, `README's fleet.yaml reference lacks a row for ${path}`).toContain(path);
        fields.add(path);
      }
    }
    for (const row of documented) expect(fields, `README documents ${row}, which no schema has`).toContain(row);
  });

  it('lists every stage in apply order', () => {
    const positions = STAGES.map((s) => readme.indexOf(`| \`${s.name}\` |`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
});

/** Every field path of a schema ("spec.clusters[].name"), with whether it is a leaf. */
function schemaFields(schema: Record<string, any>, prefix = ''): [string, boolean][] {
  const out: [string, boolean][] = [];
  for (const [key, sub] of Object.entries<Record<string, any>>(schema.properties ?? {})) {
    if (prefix === '' && (key === 'apiVersion' || key === 'kind')) continue;
    if (Object.keys(sub).length === 0) continue; // fields of other mesh types, accepted unchecked
    const path = prefix ? `${prefix}.${key}` : key;
    const inner = sub.type === 'array' && sub.items?.properties ? sub.items : sub;
    const name = inner === sub ? path : `${path}[]`;
    const leaf = !inner.properties;
    out.push([path, leaf]);
    if (!leaf) out.push(...schemaFields(inner, prefix === '' && key === 'spec' ? 'spec' : name));
  }
  return out;
}
