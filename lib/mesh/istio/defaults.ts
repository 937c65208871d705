/** Defaults of spec.mesh.istio and of Istio's per-cluster fields, the one place they are resolved. */
import type { Cluster, Fleet, RawCluster, RawFleet } from '../../fleet/types';
import { resolveBookinfoPlacement, type BookinfoPlacement } from '../../samples/placement';
import { resolveHelloworldPlacement, type HelloworldSleepPlacement } from '../../samples/helloworld';
import type { KeyType } from '../../pki/certs';
import { compareVersions } from '../../format/semver';

export const ISTIO_DEFAULTS = {
  /** Istio release; also the version of the base, istiod and gateway charts (1.26.8 to 1.30.3 installable). @default '1.30.3' */
  istioVersion: '1.30.3',
  /** Helm repository of Istio's charts. @default 'https://istio-release.storage.googleapis.com/charts' */
  istioChartRepository: 'https://istio-release.storage.googleapis.com/charts',
  /** Key type of the plug-in CA (Istio's tools/certs profile). @default 'rsa-4096' */
  caKeyType: 'rsa-4096',
  /** @default 3650 */
  caRootValidityDays: 3650,
  /**
   * A cluster's intermediate lasts a year, well below the root's ten (upstream's tools/certs makes
   * both ten): rotating it under the same root restarts nothing, and a yearly habit means a
   * removed cluster's intermediate lapses within a year rather than a decade (Linkerd's issuer: the same).
   * @default 365
   */
  caIntermediateValidityDays: 365,
  /** How the clusters share control planes. @default 'multi-primary' */
  istioModel: 'multi-primary',
  /** A cluster's role under primary-remote. @default 'primary' */
  istioRole: 'primary',
} as const;

export type IstioModel = 'multi-primary' | 'primary-remote';
export type IstioRole = 'primary' | 'remote';

export interface Istio {
  readonly version: string;
  /** @default metadata.name: one fleet is one mesh. */
  readonly meshID: string;
  readonly chartRepository: string;
  /** multi-primary: every cluster runs istiod; primary-remote: remotes use a primary's istiod. */
  readonly model: IstioModel;
  /** The plug-in CA kept in pki/. */
  readonly ca: CaSettings;
  /**
   * Control planes installed side by side (canary upgrades), oldest first; undefined: one control
   * plane at `version`, upgraded in place. With revisions, `version` is the newest of them.
   */
  readonly revisions?: readonly string[];
  /** Fleet-wide revision tags: tag → the revision (a release of `revisions`) it points at. @default none */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * The release of `revisions` that was installed in place before the canary began: it keeps its
   * Helm release `istiod` and Service `istiod` (Istio's default revision), which its proxies are
   * connected to, until it is removed. @default none
   */
  readonly unrevisioned?: string;
}

export interface CaSettings {
  readonly keyType: KeyType;
  readonly rootValidityDays: number;
  readonly intermediateValidityDays: number;
}

export interface IstioCluster {
  /** The cluster's network. @default the cluster name (one network per cluster) */
  readonly network: string;
  /** primary: runs istiod; remote: uses its primary's istiod (always primary under multi-primary). */
  readonly role: IstioRole;
  /** A remote's primary (cluster name); undefined on primaries. */
  readonly primary?: string;
  /** bookinfo placement (multi-primary's samples). */
  readonly samples: BookinfoPlacement;
  /** helloworld placement (primary-remote's samples). */
  readonly helloworld: HelloworldSleepPlacement;
  /**
   * A fixed NodePort for 15443 (a NAT or load balancer in front forwards to it), served by an
   * extra NodePort Service beside the chart's gateway Service. @default - none
   */
  readonly eastWestNodePort?: number;
  /**
   * A fixed NodePort for the gateway's status port 15021, which a load balancer in front
   * health-checks (KT's console load balancer), on the same extra Service. @default - none
   */
  readonly eastWestStatusNodePort?: number;
  /** This cluster's moves of the fleet's revision tags (spec.clusters[].istio.tags). @default none */
  readonly tags: Readonly<Record<string, string>>;
}

export interface RawIstio {
  version?: string;
  meshID?: string;
  chartRepository?: string;
  model?: IstioModel;
  ca?: { keyType?: KeyType; rootValidityDays?: number; intermediateValidityDays?: number };
  revisions?: string[];
  tags?: Record<string, string>;
  unrevisioned?: string;
}

export const rawIstioOf = (raw: RawFleet): RawIstio | undefined => raw.spec.mesh.istio as RawIstio | undefined;

export function resolveIstio(raw: RawFleet): Istio {
  const istio = rawIstioOf(raw);
  const revisions = istio?.revisions ? [...istio.revisions].sort(compareVersions) : undefined;
  return {
    version: revisions?.at(-1) ?? istio?.version ?? ISTIO_DEFAULTS.istioVersion,
    ...(revisions ? { revisions } : {}),
    tags: { ...istio?.tags },
    ...(revisions && istio?.unrevisioned ? { unrevisioned: istio.unrevisioned } : {}),
    meshID: istio?.meshID ?? raw.metadata.name,
    chartRepository: istio?.chartRepository ?? ISTIO_DEFAULTS.istioChartRepository,
    model: istio?.model ?? ISTIO_DEFAULTS.istioModel,
    ca: {
      keyType: istio?.ca?.keyType ?? ISTIO_DEFAULTS.caKeyType,
      rootValidityDays: istio?.ca?.rootValidityDays ?? ISTIO_DEFAULTS.caRootValidityDays,
      intermediateValidityDays: istio?.ca?.intermediateValidityDays ?? ISTIO_DEFAULTS.caIntermediateValidityDays,
    },
  };
}

export function resolveIstioCluster(raw: RawCluster, rank: number, fleet: RawFleet): IstioCluster {
  // Under multi-primary every cluster is a primary; a `role` there is reported by the rules.
  const model = rawIstioOf(fleet)?.model ?? ISTIO_DEFAULTS.istioModel;
  const role: IstioRole = model === 'primary-remote' ? ((raw.role as IstioRole | undefined) ?? ISTIO_DEFAULTS.istioRole) : 'primary';
  return {
    // A network per cluster is what "multi-primary on different networks" means; the cluster
    // name is unique already, and unlike an index it survives reordering the list.
    network: (raw.network as string | undefined) ?? raw.name,
    role,
    ...(role === 'remote' && typeof raw.primary === 'string' ? { primary: raw.primary } : {}),
    samples: resolveBookinfoPlacement(raw.samples, rank, fleet.spec.clusters.length),
    helloworld: resolveHelloworldPlacement(raw.samples, role),
    ...(typeof raw.eastWestNodePort === 'number' ? { eastWestNodePort: raw.eastWestNodePort } : {}),
    ...(typeof raw.eastWestStatusNodePort === 'number' ? { eastWestStatusNodePort: raw.eastWestStatusNodePort } : {}),
    tags: { ...(raw.istio as { tags?: Record<string, string> } | undefined)?.tags },
  };
}

/** The fleet's Istio settings (only for an Istio fleet). */
export const istioOf = (fleet: Fleet): Istio => fleet.mesh.settings as Istio;
/** A cluster's Istio fields (only in an Istio fleet). */
export const istioClusterOf = (cluster: Cluster): IstioCluster => cluster.mesh as IstioCluster;

/** Whether the fleet uses the primary-remote model. */
export const isPrimaryRemote = (fleet: Fleet): boolean => istioOf(fleet).model === 'primary-remote';
/** The clusters whose istiod serves `primary`: the primary itself first, then its remotes in fleet order. */
export const remotesOf = (fleet: Fleet, primary: Cluster): Cluster[] =>
  fleet.clusters.filter((c) => istioClusterOf(c).role === 'remote' && istioClusterOf(c).primary === primary.name);
/** The primary whose istiod serves `cluster` (itself when it is a primary). */
export function primaryOf(fleet: Fleet, cluster: Cluster): Cluster {
  const ic = istioClusterOf(cluster);
  if (ic.role !== 'remote') return cluster;
  return fleet.clusters.find((c) => c.name === ic.primary) ?? cluster;
}
export const isRemote = (cluster: Cluster): boolean => istioClusterOf(cluster).role === 'remote';
/** The networks of the fleet, in fleet order. */
export const networksOf = (fleet: Fleet): string[] => [...new Set(fleet.clusters.map((c) => istioClusterOf(c).network))];
/**
 * Whether the cluster runs an east-west gateway: a primary when another network exists (cross-network
 * traffic) or when remotes reach its istiod through it; a remote when its network differs from its
 * primary's (a remote on its primary's network is served by the primary's gateway, which is per network).
 */
export function hasEastWestGateway(fleet: Fleet, cluster: Cluster): boolean {
  const network = istioClusterOf(cluster).network;
  if (isRemote(cluster)) return istioClusterOf(primaryOf(fleet, cluster)).network !== network;
  return fleet.clusters.some((c) => istioClusterOf(c).network !== network) || remotesOf(fleet, cluster).length > 0;
}
/**
 * The clusters whose istiod watches `cluster`'s API server through a remote secret: every primary
 * but itself (istiod discovers endpoints in every cluster of the mesh: the other primaries, its own
 * remotes and theirs). A remote runs no istiod, so it watches nothing.
 */
export const watchersOf = (fleet: Fleet, cluster: Cluster): Cluster[] =>
  fleet.clusters.filter((c) => c.name !== cluster.name && !isRemote(c));
