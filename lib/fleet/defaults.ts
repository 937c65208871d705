/**
 * Defaults of the core of fleet.yaml (metadata, gitops, secrets, the cluster fields every mesh
 * shares). Mesh modules and add-ons declare theirs in their own `defaults.ts`; the README's
 * fleet.yaml reference lists every one of them (test/docs.test.ts checks it against the schema).
 */
import { isIP } from 'node:net';
import { SHARED_NETWORK, type Cluster, type Fleet, type MeshSettings, type RawCluster, type RawFleet } from './types';

export const CORE_DEFAULTS = {
  /** spec.gitops.engine. @default 'flux' */
  gitopsEngine: 'flux',
  /** spec.gitops.branch. @default 'main' */
  gitopsBranch: 'main',
  /** spec.gitops.interval: reconcile interval of every stage. @default '10m' */
  gitopsInterval: '10m',
  /** spec.clusters[].cni. @default 'other' (the mesh's own CNI under a mesh type that installs one) */
  cni: 'other',
  /** spec.clusters[].gateway.serviceType: the mesh gateway's Service type. @default 'LoadBalancer' */
  gatewayServiceType: 'LoadBalancer',
  /** spec.samples.enabled. @default false */
  samplesEnabled: false,
} as const;

/** What the mesh module and the add-ons resolve; the core fills in the rest. */
export interface ModuleResolution {
  readonly mesh: MeshSettings;
  /** `rank`: the cluster's position among the fleet's cluster names in sorted order (not its place in the list). */
  readonly clusterMesh: (raw: RawCluster, rank: number) => unknown;
  readonly clusterAddons: (raw: RawCluster, rank: number) => Record<string, unknown>;
  /** The CNI the mesh installs, if it is one: the default of every cluster's `cni`. */
  readonly cni?: Cluster['cni'];
  /** Whether the mesh's gateway Service follows gateway.serviceType (MeshModule.gatewayServiceType). */
  readonly gatewayServiceType?: boolean;
  /** A cluster's network from its resolved mesh fields (MeshModule.networkOf); undefined: one shared network. */
  readonly networkOf?: (clusterMesh: unknown, name: string) => string;
}

/**
 * The fleet's cluster names in a fixed order that does not depend on the list's: sorted by code
 * unit (never by locale). Defaults that depend on a cluster's position (sample placement) use this
 * rank, so reordering spec.clusters changes no output.
 */
export function sortedNames(names: readonly string[]): string[] {
  return [...names].sort(compareNames);
}

/** The order of sortedNames, for sorting anything by its name. */
export const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function resolveCore(raw: RawFleet, modules: ModuleResolution): Fleet {
  const { spec } = raw;
  const ranks = new Map(sortedNames(spec.clusters.map((c) => c.name)).map((name, rank) => [name, rank]));
  return {
    name: raw.metadata.name,
    gitops: {
      engine: spec.gitops.engine ?? CORE_DEFAULTS.gitopsEngine,
      repoURL: spec.gitops.repoURL,
      branch: spec.gitops.branch ?? CORE_DEFAULTS.gitopsBranch,
      interval: spec.gitops.interval ?? CORE_DEFAULTS.gitopsInterval,
    },
    secrets: { operators: [...spec.secrets.operators] },
    mesh: modules.mesh,
    clusters: spec.clusters.map((c, index): Cluster => {
      const mesh = modules.clusterMesh(c, ranks.get(c.name)!);
      return {
      name: c.name,
      index,
      context: c.context ?? c.name,
      apiServer: c.apiServer,
      ageRecipient: c.ageRecipient,
      cni: c.cni ?? modules.cni ?? CORE_DEFAULTS.cni,
      gateway: {
        ...(c.gateway?.address === undefined ? {} : { address: c.gateway.address }),
        ...(c.gateway?.serviceAddress !== undefined ? { serviceAddress: c.gateway.serviceAddress }
          : c.gateway?.address !== undefined && isIP(c.gateway.address) !== 0 ? { serviceAddress: c.gateway.address } : {}),
        ...(modules.gatewayServiceType ? { serviceType: c.gateway?.serviceType ?? CORE_DEFAULTS.gatewayServiceType } : {}),
      },
      network: modules.networkOf ? modules.networkOf(mesh, c.name) : SHARED_NETWORK,
      mesh,
      addons: modules.clusterAddons(c, ranks.get(c.name)!),
      registries: { ...(spec.registries ?? {}), ...(c.registries ?? {}) },
      ...(c.kubernetesVersion !== undefined ? { kubernetesVersion: c.kubernetesVersion } : {}),
      overrides: { ...(c.overrides ?? {}) },
      };
    }),
    samples: { enabled: spec.samples?.enabled ?? CORE_DEFAULTS.samplesEnabled },
    overrides: { ...(spec.overrides ?? {}) },
  };
}
