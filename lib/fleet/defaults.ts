/**
 * The one place where fleet.yaml defaults are resolved. The README's fleet.yaml reference lists
 * the same values; test/fleet/defaults.test.ts keeps the two in step.
 */
import type { Cluster, Cni, Fleet, ReviewsVersion } from './types';
import { REVIEWS_VERSIONS } from './types';

export const DEFAULTS = {
  gitopsEngine: 'flux',
  gitopsBranch: 'main',
  gitopsInterval: '10m',
  istioVersion: '1.26.8',
  istioChartRepository: 'https://istio-release.storage.googleapis.com/charts',
  cni: 'other',
  samplesEnabled: false,
} as const;

/** fleet.yaml after schema validation: required fields are present, optional ones may not be. */
export interface RawFleet {
  metadata: { name: string };
  spec: {
    gitops: { engine?: 'flux'; repoURL: string; branch?: string; interval?: string };
    secrets: { operators: string[] };
    mesh: { type: 'istio'; istio?: { version?: string; meshID?: string; chartRepository?: string } };
    clusters: RawCluster[];
    samples?: { enabled?: boolean };
  };
}

export interface RawCluster {
  name: string;
  context?: string;
  network?: string;
  apiServer: string;
  ageRecipient: string;
  cni?: Cni;
  gateway?: { address?: string };
  samples?: { reviews?: ReviewsVersion[]; sleep?: boolean };
}

export function resolveFleet(raw: RawFleet): Fleet {
  const { spec } = raw;
  const count = spec.clusters.length;
  return {
    name: raw.metadata.name,
    gitops: {
      engine: spec.gitops.engine ?? DEFAULTS.gitopsEngine,
      repoURL: spec.gitops.repoURL,
      branch: spec.gitops.branch ?? DEFAULTS.gitopsBranch,
      interval: spec.gitops.interval ?? DEFAULTS.gitopsInterval,
    },
    secrets: { operators: [...spec.secrets.operators] },
    mesh: {
      type: spec.mesh.type,
      istio: {
        version: spec.mesh.istio?.version ?? DEFAULTS.istioVersion,
        // One fleet is one mesh, so its name is the natural mesh ID.
        meshID: spec.mesh.istio?.meshID ?? raw.metadata.name,
        chartRepository: spec.mesh.istio?.chartRepository ?? DEFAULTS.istioChartRepository,
      },
    },
    clusters: spec.clusters.map((c, index): Cluster => ({
      name: c.name,
      index,
      context: c.context ?? c.name,
      // A network per cluster is what "multi-primary on different networks" means; the cluster
      // name is unique already, and unlike an index it survives reordering the list.
      network: c.network ?? c.name,
      apiServer: c.apiServer,
      ageRecipient: c.ageRecipient,
      cni: c.cni ?? DEFAULTS.cni,
      gateway: c.gateway?.address === undefined ? {} : { address: c.gateway.address },
      samples: {
        reviews: c.samples?.reviews ?? defaultReviews(index),
        sleep: c.samples?.sleep ?? index === count - 1,
      },
    })),
    samples: { enabled: spec.samples?.enabled ?? DEFAULTS.samplesEnabled },
  };
}

/** Seed 000 §4: reviews-v1 on the first cluster, v2 on the second, v3 on the third, then again. */
function defaultReviews(index: number): ReviewsVersion[] {
  return [REVIEWS_VERSIONS[index % REVIEWS_VERSIONS.length]!];
}
