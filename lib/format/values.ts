/**
 * Helm values as Helm merges them: a values file deep-merged onto the chart's defaults (maps key by
 * key, anything else replaces, null removes), and which paths such a merge changes. fleet.yaml's
 * overrides (`spec.overrides.<release>`, `spec.clusters[].overrides.<release>`) are merged this
 * way; lib/pipeline/plan.ts refuses those that would change a value meshfleet derives.
 */

export type Values = Record<string, unknown>;

export const isMap = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Helm's coalescing of `override` onto `base`. */
export function mergeValues(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override === undefined ? base : override;
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === null) delete out[k];
    else out[k] = mergeValues(base[k], v);
  }
  return out;
}

/** Dotted paths where `override` changes or removes a value `base` sets; empty when it only adds. */
export function changedPaths(base: unknown, override: unknown, path: string[] = []): string[] {
  if (!isMap(override)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(override)) {
    if (!isMap(base) || !(k in base)) continue;
    const here = [...path, k];
    if (isMap(base[k]) && isMap(v)) out.push(...changedPaths(base[k], v, here));
    else if (JSON.stringify(base[k]) !== JSON.stringify(v)) out.push(here.join('.'));
  }
  return out;
}
