/** MetalLB pools: valid ranges, no overlap across the fleet, and the pinned gateway inside its pool. */
import { formatPath, type AddProblem, type Segment } from '../../fleet/parse';
import type { Fleet } from '../../fleet/types';
import { contains, overlaps, parseRange, type IpRange } from '../../net/ip';
import { metallbOf } from './defaults';

/** Address blocks a pool must never include (0.0.0.0/0 includes them all). */
const RESERVED = ([
  ['0.0.0.0/8', 'the unspecified "this network" block'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['224.0.0.0/4', 'multicast'],
  ['::/128', 'the unspecified address'],
  ['::1/128', 'loopback'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
] as const).map(([cidr, what]) => ({ cidr, what, range: parseRange(cidr)! }));

export function metallbRules(fleet: Fleet, add: AddProblem): void {
  const pools: { range: IpRange; path: Segment[]; text: string; cluster: number }[] = [];
  fleet.clusters.forEach((c, i) => {
    const metallb = metallbOf(c);
    if (!metallb) return;
    const ranges: IpRange[] = [];
    metallb.addresses.forEach((text, j) => {
      const path: Segment[] = ['spec', 'clusters', i, 'metallb', 'addresses', j];
      const range = parseRange(text);
      if (!range) {
        add(path, text, 'must be a CIDR or a first-last address range', 'use e.g. "203.0.113.10/32" or "203.0.113.10-203.0.113.20"');
        return;
      }
      const reserved = RESERVED.find((r) => overlaps(r.range, range));
      if (reserved) {
        add(path, text, `includes ${reserved.cidr} (${reserved.what}), which no LoadBalancer Service can be given: MetalLB would hand such addresses out`,
          'use only the routable addresses set aside for LoadBalancer Services on this cluster\'s network, e.g. "203.0.113.10-203.0.113.20"');
        return;
      }
      const clash = pools.find((p) => overlaps(p.range, range));
      if (clash) {
        add(path, text, `overlaps ${formatPath(clash.path)} (${clash.text}); MetalLB pools must not overlap across the fleet`,
          'give every cluster its own addresses');
      }
      pools.push({ range, path, text, cluster: i });
      ranges.push(range);
    });
    // Resolved only for a mesh whose gateway Service follows it (elsewhere it is ignored, with a warning of the mesh's own).
    if (c.gateway.serviceType === 'NodePort') {
      add(['spec', 'clusters', i, 'gateway', 'serviceType'], 'NodePort',
        'MetalLB assigns addresses to LoadBalancer Services only: with a metallb block the gateway Service must be a LoadBalancer',
        'remove gateway.serviceType (LoadBalancer is the default), or remove the metallb block where a NAT in front forwards to the NodePorts');
    }
    const address = c.gateway.address;
    if (address !== undefined && ranges.length === metallb.addresses.length && !ranges.some((r) => contains(r, address))) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address,
        `must lie inside this cluster's MetalLB pool (${metallb.addresses.join(', ')}), which assigns it to the mesh gateway`,
        'add the address to metallb.addresses, or pin an address from the pool');
    }
  });
  // The address the other clusters dial must not be one another cluster's MetalLB may hand out:
  // that cluster would reach its own Service there, never this gateway.
  fleet.clusters.forEach((c, i) => {
    const address = c.gateway.address;
    if (address === undefined) return;
    const other = pools.find((p) => p.cluster !== i && contains(p.range, address));
    if (!other) return;
    const owner = fleet.clusters[other.cluster]!.name;
    add(['spec', 'clusters', i, 'gateway', 'address'], address,
      `lies inside ${owner}'s MetalLB pool (${formatPath(other.path)}: ${other.text}): ${owner}'s MetalLB may give it to one of ${owner}'s own Services, and ${owner} would then reach that Service there instead of ${c.name}'s gateway`,
      `announce an address outside the other clusters' pools, or take it out of ${owner}'s pool`);
  });
}
