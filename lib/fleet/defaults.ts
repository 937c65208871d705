/**
 * The one place where fleet.yaml defaults are resolved. The README's fleet.yaml reference lists
 * the same values; test/fleet/defaults.test.ts keeps the two in step.
 */
import type { Announce, Cluster, Cni, Fleet, ReviewsVersion } from './types';
import { REVIEWS_VERSIONS } from './types';

export const DEFAULTS = {
  gitopsEngine: 'flux',
  gitopsBranch: 'main',
  gitopsInterval: '10m',
  istioVersion: '1.26.8',
  istioChartRepository: 'https://istio-release.storage.googleapis.com/charts',
  caKeyType: 'rsa-4096',
  caRootValidityDays: 3650,
  caIntermediateValidityDays: 3650,
  cni: 'other',
  samplesEnabled: false,
  metallbInstall: true,
  metallbVersion: '0.14.9',
  metallbAutoAssign: false,
  metallbAvoidBuggyIPs: false,
  metallbAnnounce: 'none',
  metricsServerInstall: true,
  metricsServerVersion: '3.12.2',
  metricsServerKubeletInsecureTLS: false,
  ciliumManaged: true,
  ciliumDisableL7Proxy: true,
} as const;

/** fleet.yaml after schema validation: required fields are present, optional ones may not be. */
export interface RawFleet {
  metadata: { name: string };
  spec: {
    gitops: { engine?: 'flux'; repoURL: string; branch?: string; interval?: string };
    secrets: { operators: string[] };
    mesh: {
      type: 'istio';
      istio?: {
        version?: string;
        meshID?: string;
        chartRepository?: string;
        ca?: { keyType?: 'rsa-4096' | 'ecdsa-p256'; rootValidityDays?: number; intermediateValidityDays?: number };
      };
    };
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
  metallb?: { install?: boolean; version?: string; addresses: string[]; autoAssign?: boolean; avoidBuggyIPs?: boolean; announce?: Announce };
  metricsServer?: { install?: boolean; version?: string; kubeletInsecureTLS?: boolean; args?: string[] };
  cilium?: { managed?: boolean; disableL7Proxy?: boolean };
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
        ca: {
          keyType: spec.mesh.istio?.ca?.keyType ?? DEFAULTS.caKeyType,
          rootValidityDays: spec.mesh.istio?.ca?.rootValidityDays ?? DEFAULTS.caRootValidityDays,
          intermediateValidityDays: spec.mesh.istio?.ca?.intermediateValidityDays ?? DEFAULTS.caIntermediateValidityDays,
        },
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
      ...(c.metallb ? {
        metallb: {
          install: c.metallb.install ?? DEFAULTS.metallbInstall,
          version: c.metallb.version ?? DEFAULTS.metallbVersion,
          addresses: [...c.metallb.addresses],
          // The pool exists for the pinned gateway: other Services must not take its addresses.
          autoAssign: c.metallb.autoAssign ?? DEFAULTS.metallbAutoAssign,
          avoidBuggyIPs: c.metallb.avoidBuggyIPs ?? DEFAULTS.metallbAvoidBuggyIPs,
          announce: c.metallb.announce ?? DEFAULTS.metallbAnnounce,
        },
      } : {}),
      ...(c.metricsServer ? {
        metricsServer: {
          install: c.metricsServer.install ?? DEFAULTS.metricsServerInstall,
          version: c.metricsServer.version ?? DEFAULTS.metricsServerVersion,
          kubeletInsecureTLS: c.metricsServer.kubeletInsecureTLS ?? DEFAULTS.metricsServerKubeletInsecureTLS,
          args: [...(c.metricsServer.args ?? [])],
        },
      } : {}),
      ...((c.cni ?? DEFAULTS.cni) === 'cilium' ? {
        cilium: {
          managed: c.cilium?.managed ?? DEFAULTS.ciliumManaged,
          disableL7Proxy: c.cilium?.disableL7Proxy ?? DEFAULTS.ciliumDisableL7Proxy,
        },
      } : {}),
    })),
    samples: { enabled: spec.samples?.enabled ?? DEFAULTS.samplesEnabled },
  };
}

/** Seed 000 §4: reviews-v1 on the first cluster, v2 on the second, v3 on the third, then again. */
function defaultReviews(index: number): ReviewsVersion[] {
  return [REVIEWS_VERSIONS[index % REVIEWS_VERSIONS.length]!];
}
