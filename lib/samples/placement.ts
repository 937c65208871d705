/**
 * Where seed 000's bookinfo samples run (reviews-vN and the sleep client): the per-cluster
 * `samples` block of fleet.yaml and its defaults. Shared by the meshes that deploy these samples.
 */
import type { JsonSchema } from '../fleet/schema';

export type ReviewsVersion = 'v1' | 'v2' | 'v3';
export const REVIEWS_VERSIONS: readonly ReviewsVersion[] = ['v1', 'v2', 'v3'];

export interface BookinfoPlacement {
  /** Which reviews Deployments run here (the reviews Service runs everywhere). */
  readonly reviews: readonly ReviewsVersion[];
  /** Whether the sleep client runs here. */
  readonly sleep: boolean;
}

export const bookinfoPlacementSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    reviews: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', enum: ['v1', 'v2', 'v3'], description: 'list reviews versions from v1, v2 and v3' },
      description: 'list the reviews versions to run here, e.g. [v1], or [] for none',
    },
    sleep: { type: 'boolean', description: 'use true or false' },
  },
};

/**
 * Seed 000 §4: reviews-v1 on the first cluster, v2 on the second, v3 on the third, then again;
 * sleep on the last cluster — "first" and "last" by name (`rank` among the sorted names), so the
 * default survives reordering spec.clusters; `samples.reviews` / `samples.sleep` pin it explicitly.
 */
export function resolveBookinfoPlacement(raw: unknown, rank: number, count: number): BookinfoPlacement {
  const r = raw as { reviews?: ReviewsVersion[]; sleep?: boolean } | undefined;
  return {
    reviews: r?.reviews ?? [REVIEWS_VERSIONS[rank % REVIEWS_VERSIONS.length]!],
    sleep: r?.sleep ?? rank === count - 1,
  };
}

export function placementSummary(p: BookinfoPlacement): string {
  const parts = p.reviews.map((v) => `reviews-${v}`);
  if (p.sleep) parts.push('sleep');
  return parts.length > 0 ? `${parts.join(', ')} (+ reviews Service)` : 'reviews Service only';
}
