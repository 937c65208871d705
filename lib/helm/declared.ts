/**
 * The value keys each delivered chart declares (imports/charts/<chart>-<version>.json, written by
 * `npm run import`), for checking Helm value overrides at synth: Helm ignores a key the chart does
 * not read, so `pilot.resourcez` would install and simply lack the setting. Loaded per chart, and
 * only when fleet.yaml overrides that chart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../root';
import { alsoDeclaredPaths, freeFormPaths } from './free-form';
import { undeclaredKeys } from './keys';

interface DeclaredChart {
  readonly defaults: unknown;
  readonly schema?: unknown;
}

const loaded = new Map<string, DeclaredChart | undefined>();

function declared(chart: string, version: string): DeclaredChart | undefined {
  const key = `${chart}-${version}`;
  if (!loaded.has(key)) {
    const file = join(PROJECT_ROOT, 'imports', 'charts', `${key}.json`);
    loaded.set(key, existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DeclaredChart) : undefined);
  }
  return loaded.get(key);
}

/**
 * The key paths of `override` that the chart does not declare (e.g. `pilot.resourcez`), checked
 * like our own values in the Helm tests; undefined when meshfleet has no record of the chart.
 */
export function undeclaredOverrideKeys(chart: string, version: string, override: unknown): string[] | undefined {
  const d = declared(chart, version);
  if (!d) return undefined;
  return undeclaredKeys({ values: override, defaults: d.defaults, ...(d.schema !== undefined ? { schema: d.schema } : {}), freeForm: freeFormPaths(chart), alsoDeclared: alsoDeclaredPaths(chart) });
}
