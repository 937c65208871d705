/** Defaults of spec.mesh.linkerd and of the Linkerd samples' fields of spec.samples, resolved in one place. */
import type { Cluster, Fleet, RawFleet } from '../../fleet/types';
import { sortedNames } from '../../fleet/defaults';

/**
 * The Linkerd releases meshfleet installs, by the version users write. Open-source Linkerd ships
 * edge releases only since 2.15; `version-2.X` tags map to an edge release, and the edge Helm
 * repository versions its charts `20YY.M.N` after it (edge-25.4.4 → 2025.4.4).
 */
export const LINKERD_RELEASES: Readonly<Record<string, { readonly edge: string; readonly chart: string; readonly linkApi: string }>> = {
  '2.18': { edge: 'edge-25.4.4', chart: '2025.4.4', linkApi: 'multicluster.linkerd.io/v1alpha3' },
  '2.20': { edge: 'edge-26.6.3', chart: '2026.6.3', linkApi: 'multicluster.linkerd.io/v1alpha3' },
};
export const SUPPORTED_LINKERD_VERSIONS = Object.keys(LINKERD_RELEASES);

export const LINKERD_DEFAULTS = {
  /** Linkerd release (see the supported versions; 2.18 still installable). @default '2.20' */
  linkerdVersion: '2.20',
  /** Helm repository of linkerd-crds, linkerd-control-plane and linkerd-multicluster. @default 'https://helm.linkerd.io/edge' */
  linkerdChartRepository: 'https://helm.linkerd.io/edge',
  /** Validity of the fleet's trust anchor (step's root-ca default). @default 3650 */
  linkerdAnchorValidityDays: 3650,
  /** Validity of each cluster's identity issuer (Linkerd's docs: `--not-after 8760h`). @default 365 */
  linkerdIssuerValidityDays: 365,
  /** spec.samples.split: how the 50/50 split is expressed. @default 'httproute' */
  samplesSplit: 'httproute',
} as const;

/** linkerd-smi, the deprecated SMI extension, for `spec.samples.split: smi` (seed 004 §3.6). */
export const LINKERD_SMI = { repository: 'https://linkerd.github.io/linkerd-smi', chart: 'linkerd-smi', version: '1.0.4' } as const;

export type SplitKind = 'httproute' | 'smi';

export interface Linkerd {
  /** What the user wrote, e.g. "2.18". */
  readonly version: string;
  /** The edge release it is, e.g. "edge-25.4.4". */
  readonly edge: string;
  /** The version of the linkerd-crds, linkerd-control-plane and linkerd-multicluster charts. */
  readonly chartVersion: string;
  readonly linkApi: string;
  readonly chartRepository: string;
  readonly ca: { readonly anchorValidityDays: number; readonly issuerValidityDays: number };
  readonly samples: LinkerdSamples;
}

export interface LinkerdSamples {
  readonly split: SplitKind;
  /** Runs helloworld v1, labelled mirror.linkerd.io/exported=true. @default the first cluster by name */
  readonly exporter: string | undefined;
  /** Runs helloworld v2, the curl client and the split between helloworld and helloworld-<exporter>. @default the second cluster by name */
  readonly client: string | undefined;
}

export interface RawLinkerd {
  version?: string;
  chartRepository?: string;
  ca?: { anchorValidityDays?: number; issuerValidityDays?: number };
}

export interface RawLinkerdSamples {
  split?: SplitKind;
  exporter?: string;
  client?: string;
}

export const rawLinkerdOf = (raw: RawFleet): RawLinkerd | undefined => raw.spec.mesh.linkerd as RawLinkerd | undefined;
export const rawLinkerdSamplesOf = (raw: RawFleet): RawLinkerdSamples => (raw.spec.samples ?? {}) as RawLinkerdSamples;

export function resolveLinkerd(raw: RawFleet): Linkerd {
  const l = rawLinkerdOf(raw);
  const version = l?.version ?? LINKERD_DEFAULTS.linkerdVersion;
  // The schema admits only supported versions.
  const release = LINKERD_RELEASES[version]!;
  const s = rawLinkerdSamplesOf(raw);
  // The first two clusters by name, not by place in the list: reordering changes no output.
  const clusters = sortedNames(raw.spec.clusters.map((c) => c.name));
  return {
    version,
    edge: release.edge,
    chartVersion: release.chart,
    linkApi: release.linkApi,
    chartRepository: l?.chartRepository ?? LINKERD_DEFAULTS.linkerdChartRepository,
    ca: {
      anchorValidityDays: l?.ca?.anchorValidityDays ?? LINKERD_DEFAULTS.linkerdAnchorValidityDays,
      issuerValidityDays: l?.ca?.issuerValidityDays ?? LINKERD_DEFAULTS.linkerdIssuerValidityDays,
    },
    samples: {
      split: s.split ?? LINKERD_DEFAULTS.samplesSplit,
      exporter: s.exporter ?? clusters[0],
      client: s.client ?? clusters[1],
    },
  };
}

/** The fleet's Linkerd settings (only for a Linkerd fleet). */
export const linkerdOf = (fleet: Fleet): Linkerd => fleet.mesh.settings as Linkerd;

/** Every other cluster: each gets a Link and a service-mirror controller for it. */
export const peersOf = (fleet: Fleet, cluster: Cluster): Cluster[] => fleet.clusters.filter((c) => c.name !== cluster.name);
