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
  readonly kubeVersion?: string;
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
 * The default `chart` `version` gives the value at `path` ("global.hub"); undefined when the
 * recorded chart has no such value, null when meshfleet has no record of the chart.
 */
export function declaredDefault(chart: string, version: string, path: string): unknown {
  const d = declared(chart, version);
  if (!d) return null;
  let node: unknown = d.defaults;
  for (const key of path.split('.')) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
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

/**
 * Why Helm would refuse to install `chart` `version` on Kubernetes `kubernetes` ("1.32", "1.32.3"),
 * by the chart's kubeVersion (the `>=` floors the pinned charts use); undefined when it installs,
 * or when meshfleet has no record of the chart or cannot read its constraint.
 */
export function kubeVersionProblem(chart: string, version: string, kubernetes: string): string | undefined {
  const constraint = declared(chart, version)?.kubeVersion;
  const floor = constraint ? /^\s*>=\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:-0)?\s*$/.exec(constraint) : null;
  if (!constraint || !floor) return undefined;
  const [major, minor, patch = '0'] = kubernetes.split('.');
  const have = [Number(major), Number(minor), Number(patch)];
  const need = [Number(floor[1]), Number(floor[2]), Number(floor[3] ?? 0)];
  const below = have[0]! < need[0]! || (have[0] === need[0] && (have[1]! < need[1]! || (have[1] === need[1] && have[2]! < need[2]!)));
  return below ? `chart ${chart} ${version} requires Kubernetes ${constraint.trim()} (its kubeVersion): Helm refuses to install it on ${kubernetes}` : undefined;
}
