/**
 * Helm value overrides from fleet.yaml (`spec.overrides.<release>` for every cluster,
 * `spec.clusters[].overrides.<release>` for one): deep-merged into the values meshfleet generates,
 * the way Helm merges a values file (maps key by key, anything else replaces, null removes).
 *
 * An override may add values and extend maps, but not change a value meshfleet sets: those are
 * derived from fleet.yaml fields (meshID, network, clusterName, trust anchors, addresses …) for
 * the mesh to work, and changing them behind meshfleet's back would split the fleet's truth in
 * two. Such an override is refused, naming the path; the fix is the fleet.yaml field it comes from.
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
