/** Defaults of spec.clusters[].metallb, the one place they are resolved. */
import type { RawCluster } from '../../fleet/types';

export const METALLB_DEFAULTS = {
  /** Install MetalLB with its Helm chart; false when the cluster runs it already. @default true */
  metallbInstall: true,
  /** MetalLB release (chart and app); decides the Service annotation prefix. @default '0.16.1' */
  metallbVersion: '0.16.1',
  /** The pool exists for the pinned gateway: other Services must not take its addresses. @default false */
  metallbAutoAssign: false,
  /** @default false */
  metallbAvoidBuggyIPs: false,
  /** none: only assign (a NAT or LB in front forwards); l2: answer ARP/NDP. @default 'none' */
  metallbAnnounce: 'none',
} as const;

export type Announce = 'none' | 'l2';

export interface MetalLB {
  readonly install: boolean;
  readonly version: string;
  /** CIDRs or "first-last" ranges of the pool. */
  readonly addresses: readonly string[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly announce: Announce;
  /**
   * An IPAddressPool the cluster's own MetalLB has already, holding the gateway's address: meshfleet
   * then writes no pool (MetalLB's webhook refuses one that overlaps it) and `addresses` describes
   * that pool for the rules. Only with install: false.
   */
  readonly existingPool?: string;
}

export interface RawMetalLB {
  install?: boolean;
  version?: string;
  addresses: string[];
  autoAssign?: boolean;
  avoidBuggyIPs?: boolean;
  announce?: Announce;
  existingPool?: string;
}

export function resolveMetalLB(raw: RawCluster): MetalLB | undefined {
  const m = raw.metallb as RawMetalLB | undefined;
  if (!m) return undefined;
  return {
    install: m.install ?? METALLB_DEFAULTS.metallbInstall,
    version: m.version ?? METALLB_DEFAULTS.metallbVersion,
    addresses: [...m.addresses],
    autoAssign: m.autoAssign ?? METALLB_DEFAULTS.metallbAutoAssign,
    avoidBuggyIPs: m.avoidBuggyIPs ?? METALLB_DEFAULTS.metallbAvoidBuggyIPs,
    announce: m.announce ?? METALLB_DEFAULTS.metallbAnnounce,
    ...(m.existingPool !== undefined ? { existingPool: m.existingPool } : {}),
  };
}

/** The cluster's MetalLB settings; undefined when it has no `metallb` block. */
export function metallbOf(cluster: { readonly addons: Readonly<Record<string, unknown>> }): MetalLB | undefined {
  return cluster.addons.metallb as MetalLB | undefined;
}
