/** Defaults of spec.mesh.istio and of Istio's per-cluster fields, the one place they are resolved. */
import type { Cluster, Fleet, RawCluster, RawFleet } from '../../fleet/types';
import { resolveBookinfoPlacement, type BookinfoPlacement } from '../../samples/placement';
import type { KeyType } from '../../pki/certs';

export const ISTIO_DEFAULTS = {
  /** Istio release; also the version of the base, istiod and gateway charts. @default '1.26.8' */
  istioVersion: '1.26.8',
  /** Helm repository of Istio's charts. @default 'https://istio-release.storage.googleapis.com/charts' */
  istioChartRepository: 'https://istio-release.storage.googleapis.com/charts',
  /** Key type of the plug-in CA (Istio's tools/certs profile). @default 'rsa-4096' */
  caKeyType: 'rsa-4096',
  /** @default 3650 */
  caRootValidityDays: 3650,
  /** @default 3650 */
  caIntermediateValidityDays: 3650,
} as const;

export interface Istio {
  readonly version: string;
  /** @default metadata.name: one fleet is one mesh. */
  readonly meshID: string;
  readonly chartRepository: string;
  /** The plug-in CA kept in pki/. */
  readonly ca: CaSettings;
}

export interface CaSettings {
  readonly keyType: KeyType;
  readonly rootValidityDays: number;
  readonly intermediateValidityDays: number;
}

export interface IstioCluster {
  /** The cluster's network. @default the cluster name (one network per cluster) */
  readonly network: string;
  readonly samples: BookinfoPlacement;
}

export interface RawIstio {
  version?: string;
  meshID?: string;
  chartRepository?: string;
  ca?: { keyType?: KeyType; rootValidityDays?: number; intermediateValidityDays?: number };
}

export const rawIstioOf = (raw: RawFleet): RawIstio | undefined => raw.spec.mesh.istio as RawIstio | undefined;

export function resolveIstio(raw: RawFleet): Istio {
  const istio = rawIstioOf(raw);
  return {
    version: istio?.version ?? ISTIO_DEFAULTS.istioVersion,
    meshID: istio?.meshID ?? raw.metadata.name,
    chartRepository: istio?.chartRepository ?? ISTIO_DEFAULTS.istioChartRepository,
    ca: {
      keyType: istio?.ca?.keyType ?? ISTIO_DEFAULTS.caKeyType,
      rootValidityDays: istio?.ca?.rootValidityDays ?? ISTIO_DEFAULTS.caRootValidityDays,
      intermediateValidityDays: istio?.ca?.intermediateValidityDays ?? ISTIO_DEFAULTS.caIntermediateValidityDays,
    },
  };
}

export function resolveIstioCluster(raw: RawCluster, index: number, fleet: RawFleet): IstioCluster {
  return {
    // A network per cluster is what "multi-primary on different networks" means; the cluster
    // name is unique already, and unlike an index it survives reordering the list.
    network: (raw.network as string | undefined) ?? raw.name,
    samples: resolveBookinfoPlacement(raw.samples, index, fleet.spec.clusters.length),
  };
}

/** The fleet's Istio settings (only for an Istio fleet). */
export const istioOf = (fleet: Fleet): Istio => fleet.mesh.settings as Istio;
/** A cluster's Istio fields (only in an Istio fleet). */
export const istioClusterOf = (cluster: Cluster): IstioCluster => cluster.mesh as IstioCluster;
