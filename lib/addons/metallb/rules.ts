/**
 * MetalLB pools: valid ranges, no overlap between clusters on one network (clusters on different
 * networks, reached only through their gateways' announced addresses, may reuse one private
 * range), and the address the gateway Service asks for inside its own pool.
 */
import { formatPath, type AddProblem, type Segment } from '../../fleet/parse';
import type { Fleet, RawFleet } from '../../fleet/types';
import { compareVersions } from '../../format/semver';
import { contains, overlaps, parseRange, type IpRange } from '../../net/ip';
import { metallbOf, type RawMetalLB } from './defaults';

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

export function metallbRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  const pools: { range: IpRange; path: Segment[]; text: string; cluster: number }[] = [];
  fleet.clusters.forEach((c, i) => {
    const metallb = metallbOf(c);
    if (!metallb) return;
    const ranges: IpRange[] = [];
    const rawMetallb = (raw.spec.clusters[i]?.metallb ?? {}) as Partial<RawMetalLB>;
    const at = (field: string): Segment[] => ['spec', 'clusters', i, 'metallb', field];
    if (!metallb.install && rawMetallb.version === undefined) {
      add(['spec', 'clusters', i, 'metallb'], undefined,
        'install: false needs metallb.version, the release the cluster runs: meshfleet cannot read it from a chart it does not install, and the gateway Service\'s annotation depends on it (metallb.universe.tf/loadBalancerIPs before 0.14.9, metallb.io/loadBalancerIPs from 0.14.9)',
        'set metallb.version to the running release, as `kubectl -n metallb-system get deploy controller -o jsonpath=\'{.spec.template.spec.containers[0].image}\'` shows it, e.g. "0.13.9"');
    }
    if (compareVersions(metallb.version, '0.13.0') < 0) {
      add(at('version'), metallb.version, 'is configured by a ConfigMap; meshfleet writes IPAddressPool and L2Advertisement objects (metallb.io/v1beta1), which MetalLB reads from 0.13.0',
        'upgrade the cluster\'s MetalLB to 0.13.0 or later (`metallb.install: true` installs a supported one)');
    }
    if (rawMetallb.existingPool !== undefined && metallb.install) {
      add(at('existingPool'), rawMetallb.existingPool, 'names a pool of a MetalLB the cluster runs already, but install: true installs MetalLB here',
        'set install: false where the cluster runs MetalLB with that pool, or remove existingPool and let meshfleet write the pool');
    }
    for (const field of ['announce', 'autoAssign', 'avoidBuggyIPs'] as const) {
      const value = rawMetallb[field];
      if (rawMetallb.existingPool === undefined || value === undefined) continue;
      add(at(field), value, 'has no effect with existingPool: that pool and its advertisements are the cluster\'s own, and meshfleet writes neither',
        `remove ${field}, or remove existingPool and let meshfleet write the pool${field === 'announce' ? ' and its L2Advertisement' : ''}`);
    }
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
      const clash = pools.find((p) => overlaps(p.range, range) && fleet.clusters[p.cluster]!.network === c.network);
      if (clash) {
        const same = clash.cluster === i;
        add(path, text, `overlaps ${formatPath(clash.path)} (${clash.text}); ` + (same ? 'a pool\'s ranges must not overlap'
          : `${fleet.clusters[clash.cluster]!.name} and ${c.name} are on one network, where two MetalLB pools handing out one address make it answer on both clusters`),
          same ? 'list each address once' : 'give every cluster on a network its own addresses');
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
    // What the gateway Service asks MetalLB for: gateway.serviceAddress, else gateway.address.
    const asked = c.gateway.serviceAddress;
    if (asked !== undefined && ranges.length === metallb.addresses.length && !ranges.some((r) => contains(r, asked))) {
      const own = raw.spec.clusters[i]?.gateway?.serviceAddress !== undefined;
      add(['spec', 'clusters', i, 'gateway', own ? 'serviceAddress' : 'address'], asked,
        `must lie inside this cluster's MetalLB pool (${metallb.addresses.join(', ')}), which assigns it to the mesh gateway's Service`,
        own ? 'add the address to metallb.addresses, or ask for one from the pool'
          : 'add the address to metallb.addresses, or pin an address from the pool; where a floating IP or NAT forwards this address to one from the pool, set that one as gateway.serviceAddress');
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
