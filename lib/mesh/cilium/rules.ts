/**
 * ClusterMesh's rules (Cilium's clustermesh setup.rst and the chart): a unique cluster.id in range,
 * a cluster name Cilium accepts, pod CIDRs that never overlap, every clustermesh-apiserver reachable
 * at a declared address, distinct NodePorts, and a Cilium that meshfleet installs itself.
 */
import { isIP } from 'node:net';
import type { AddProblem, AddWarning, Segment } from '../../fleet/parse';
import { ignoredServiceTypes } from '../../fleet/rules';
import type { Fleet, RawFleet } from '../../fleet/types';
import { overlaps, parseRange, unreachableAddress, type IpRange } from '../../net/ip';
import { compareVersions } from '../../format/semver';
import { ciliumClusterOf, ciliumOf, rawCiliumOf } from './defaults';
import { AUTH_MODE_SINCE, POLICY_DEFAULT_LOCAL_CLUSTER_SINCE, SUPPORTED_CILIUM_VERSIONS } from './releases';

/** cluster.name: Cilium's limit (pkg/clustermesh/types: ClusterNameMaxLength). */
export const CLUSTER_NAME_MAX = 32;
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

/** An IPv4 CIDR written as its network address (10.1.0.0/16, not 10.1.2.3/16); undefined otherwise. */
export function parseCidr(text: string): IpRange | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
  if (!m || isIP(m[1]!) !== 4 || Number(m[2]) > 32) return undefined;
  const range = parseRange(text);
  if (!range) return undefined;
  const base = m[1]!.split('.').reduce((acc, o) => (acc << 8n) + BigInt(Number(o)), 0n);
  return base === range.first ? range : undefined;
}

export function ciliumRules(fleet: Fleet, raw: RawFleet, add: AddProblem, warn: AddWarning): void {
  ignoredServiceTypes(raw, warn, 'mesh type cilium runs no mesh gateway; cilium.apiserverService is the clustermesh-apiserver\'s Service type');
  releaseRules(fleet, raw, add);
  const max = ciliumOf(fleet).maxConnectedClusters;
  const at = (i: number, ...rest: Segment[]): Segment[] => ['spec', 'clusters', i, ...rest];
  const ids = new Map<number, number>();
  const ports = new Map<number, number>();
  const pods: { i: number; range: IpRange; text: string }[] = [];
  const services: { i: number; range: IpRange; text: string }[] = [];

  fleet.clusters.forEach((c, i) => {
    const rc = raw.spec.clusters[i]!;
    const m = ciliumClusterOf(c);

    if (c.cni !== 'cilium') {
      add(at(i, 'cni'), c.cni, 'mesh type cilium installs Cilium as every cluster\'s CNI (ClusterMesh only joins Cilium clusters)',
        'set cni: cilium or leave cni out; a cluster on another CNI cannot join, so move it to another fleet');
    }
    if (m.managed) {
      add(at(i, 'cilium', 'managed'), true,
        'a provider-managed Cilium cannot join: cluster.name, cluster.id, the clustermesh-apiserver and the shared Cilium CA are install-time values of a Helm release meshfleet must own',
        'set managed: false on a cluster whose Cilium you install (meshfleet installs it), or keep the provider-managed cluster out of this fleet');
    }

    if (c.name.length > CLUSTER_NAME_MAX) {
      add(at(i, 'name'), c.name, `Cilium's cluster.name is at most ${CLUSTER_NAME_MAX} characters`, `use a name of at most ${CLUSTER_NAME_MAX} characters, e.g. "cluster1"`);
    } else if (c.name === 'default') {
      add(at(i, 'name'), c.name, 'Cilium reserves cluster.name "default" for clusters outside a ClusterMesh (cluster.id 0)', 'use another name, e.g. "cluster1"');
    }

    const id = m.clusterId;
    if (id === undefined) {
      add(at(i), undefined, 'cilium.clusterId is required: every cluster of a ClusterMesh needs its own cluster.id',
        `set cilium.clusterId to a number from 1 to ${max} that no other cluster uses, e.g. ${i + 1}`);
    } else if (id > max) {
      add(at(i, 'cilium', 'clusterId'), id, `must be from 1 to ${max} (spec.mesh.cilium.maxConnectedClusters is ${max})`,
        max === 255 ? 'use 1 to 255, or set spec.mesh.cilium.maxConnectedClusters: 511 when Cilium is first installed' : 'use 1 to 511');
    } else if (ids.has(id)) {
      add(at(i, 'cilium', 'clusterId'), id, `cluster.id must be unique across connected clusters; spec.clusters[${ids.get(id)}] has ${id} already`,
        'give every cluster its own cilium.clusterId, e.g. 1, 2, 3, ...');
    } else {
      ids.set(id, i);
    }

    if (m.podCIDR === undefined) {
      add(at(i), undefined, 'podCIDR is required: ClusterMesh needs every cluster\'s pod CIDR, unique and non-overlapping',
        `set podCIDR to this cluster's pod range (K3s --cluster-cidr), e.g. "10.${i + 1}.0.0/16"`);
    } else {
      const range = parseCidr(m.podCIDR);
      if (!range) {
        add(at(i, 'podCIDR'), m.podCIDR, 'must be an IPv4 CIDR written as its network address', 'use e.g. "10.1.0.0/16"');
      } else {
        pods.push({ i, range, text: m.podCIDR });
      }
    }
    if (m.serviceCIDR !== undefined) {
      const range = parseCidr(m.serviceCIDR);
      if (!range) add(at(i, 'serviceCIDR'), m.serviceCIDR, 'must be an IPv4 CIDR written as its network address', 'use e.g. "10.101.0.0/16"');
      else services.push({ i, range, text: m.serviceCIDR });
    }

    if (m.apiserverService === 'LoadBalancer') {
      if (c.gateway.address === undefined) {
        add(at(i), undefined, 'the other clusters reach this clustermesh-apiserver (LoadBalancer) only at a declared address: gateway.address is required',
          'set gateway.address to the LoadBalancer IP (pinned with metallb where the cluster has it), or set cilium.apiserverService: NodePort with cilium.nodeAddresses');
      }
    } else {
      if (m.nodeAddresses.length === 0) {
        add(at(i, 'cilium'), rc.cilium, 'with apiserverService NodePort the other clusters reach this clustermesh-apiserver at its nodes: cilium.nodeAddresses is required',
          'list the node IPs the other clusters reach, e.g. nodeAddresses: ["172.30.1.89"]');
      }
      m.nodeAddresses.forEach((a, j) => {
        if (isIP(a) === 0) add(at(i, 'cilium', 'nodeAddresses', j), a, 'must be an IPv4 or IPv6 address', 'use a node IP address, e.g. "172.30.1.89"');
        else if (unreachableAddress(a)) {
          add(at(i, 'cilium', 'nodeAddresses', j), a, `must be reachable from the other clusters; ${unreachableAddress(a)} only works on this machine`,
            'list the node IPs the other clusters reach, e.g. "172.30.1.89"');
        }
      });
      const explicit = (rc.cilium as { nodePort?: number } | undefined)?.nodePort !== undefined;
      const portPath = explicit ? at(i, 'cilium', 'nodePort') : at(i, 'cilium');
      if (m.nodePort < NODE_PORT_MIN || m.nodePort > NODE_PORT_MAX) {
        add(portPath, m.nodePort, `must be in the NodePort range ${NODE_PORT_MIN}-${NODE_PORT_MAX}`, 'use e.g. 32379');
      } else if (ports.has(m.nodePort)) {
        add(portPath, m.nodePort,
          `clustermesh-apiserver NodePorts must be distinct per cluster (Cilium's kube-proxy replacement misroutes a shared one, cilium/cilium#24692); spec.clusters[${ports.get(m.nodePort)}] uses ${m.nodePort} already` +
          (explicit ? '' : ' (cilium.nodePort defaults to 32379)'),
          'set cilium.nodePort to a port no other cluster uses, e.g. 32380');
      } else {
        ports.set(m.nodePort, i);
      }
    }
  });

  // Pod CIDRs are routed between clusters: no two may overlap, nor any with a cluster's Service range.
  pods.forEach((p, n) => {
    const clash = pods.slice(0, n).find((q) => overlaps(p.range, q.range));
    if (clash) {
      add(at(p.i, 'podCIDR'), p.text, `pod CIDRs must not overlap across a ClusterMesh; spec.clusters[${clash.i}].podCIDR is ${clash.text}`,
        'give every cluster its own pod range, e.g. 10.1.0.0/16, 10.2.0.0/16, ...');
      return;
    }
    const svc = services.find((s) => overlaps(p.range, s.range));
    if (svc) {
      add(at(p.i, 'podCIDR'), p.text, `must not overlap any cluster's Service range; spec.clusters[${svc.i}].serviceCIDR is ${svc.text}`,
        'pick pod and Service ranges that are disjoint across the fleet');
    }
  });
}

/** A release with tested charts, and the settings only some releases' charts have. */
function releaseRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  const { version } = ciliumOf(fleet);
  if (!(SUPPORTED_CILIUM_VERSIONS as readonly string[]).includes(version)) {
    add(['spec', 'mesh', 'cilium', 'version'], version, `is not a release meshfleet has tested charts for; supported: ${SUPPORTED_CILIUM_VERSIONS.join(', ')}`,
      `use one of ${SUPPORTED_CILIUM_VERSIONS.map((v) => `"${v}"`).join(', ')}, or leave the field out for the default`);
  }
  const rawCilium = rawCiliumOf(raw);
  for (const [field, since] of [['policyDefaultLocalCluster', POLICY_DEFAULT_LOCAL_CLUSTER_SINCE], ['authMode', AUTH_MODE_SINCE]] as const) {
    if (rawCilium?.[field] !== undefined && compareVersions(version, since) < 0) {
      add(['spec', 'mesh', 'cilium', field], rawCilium[field], `the cilium chart has this setting only from ${since.replace(/\.0$/, '')}; ${version} does not read it`,
        `remove ${field}, or move spec.mesh.cilium.version to ${SUPPORTED_CILIUM_VERSIONS.at(-1)}`);
    }
  }
}
