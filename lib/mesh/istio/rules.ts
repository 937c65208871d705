/**
 * Istio's rules: the control-plane model (every remote names a primary that can be reached), one
 * network per cluster under multi-primary, a CA chain that makes sense, a Helm-installable release.
 */
import type { AddProblem, AddWarning } from '../../fleet/parse';
import { gatewayServiceRules, uniqueAcrossClusters } from '../../fleet/rules';
import { compareVersions } from '../../format/semver';
import type { Fleet, RawFleet } from '../../fleet/types';
import { hasEastWestGateway, istioClusterOf, istioOf, rawIstioOf } from './defaults';
import { networkGatewayPortRules, readerRbacRules } from './ports';
import { SUPPORTED_ISTIO_VERSIONS } from './releases';
import { revisionRules } from './revisions';

type Segment = string | number;

export function istioRules(fleet: Fleet, raw: RawFleet, add: AddProblem, warn: AddWarning): void {
  const istio = istioOf(fleet);
  eastWestNodePorts(fleet, raw, add, warn);
  networkGatewayPortRules(fleet, add);
  revisionRules(fleet, raw, add);
  readerRbacRules(fleet, add);
  if (istio.model === 'primary-remote') {
    // Several clusters may share a network (pod IPs reachable between them, no east-west hop):
    // Istio's "same network" primary-remote. Networks only have to be consistent, which they are by name.
    primaryRemoteRules(fleet, raw, add);
    unusedGatewayAddresses(fleet, raw, warn);
  } else {
    // Seed 000's model is multi-primary on *different* networks; primaries that share a network
    // are expressed with model: primary-remote, which allows it.
    uniqueAcrossClusters(fleet, raw, add, 'network', (c) => istioClusterOf(c).network,
      'give every cluster its own network (multi-primary on different networks), e.g. network1, network2, ...');
    raw.spec.clusters.forEach((c, i) => {
      for (const field of ['role', 'primary'] as const) {
        if (c[field] === undefined) continue;
        add(['spec', 'clusters', i, field], c[field], 'applies only with spec.mesh.istio.model: primary-remote; under multi-primary every cluster runs its own istiod',
          `remove ${field}, or set spec.mesh.istio.model: primary-remote`);
      }
      const helloworld = (c.samples as { helloworld?: unknown } | undefined)?.helloworld;
      if (helloworld !== undefined) {
        add(['spec', 'clusters', i, 'samples', 'helloworld'], helloworld, 'multi-primary fleets run the bookinfo reviews sample, not helloworld',
          'use samples.reviews, or set spec.mesh.istio.model: primary-remote');
      }
    });
  }

  gatewayServiceRules(fleet, add, (c) => hasEastWestGateway(fleet, c));

  const rawCa = rawIstioOf(raw)?.ca;
  if (rawCa?.intermediateValidityDays !== undefined && istio.ca.intermediateValidityDays > istio.ca.rootValidityDays) {
    add(['spec', 'mesh', 'istio', 'ca', 'intermediateValidityDays'], istio.ca.intermediateValidityDays,
      `must not outlive the root (rootValidityDays ${istio.ca.rootValidityDays}); workload certificates are cut at the earliest expiry in the chain`,
      'lower intermediateValidityDays or raise rootValidityDays');
  }
  if (!(SUPPORTED_ISTIO_VERSIONS as readonly string[]).includes(istio.version)) {
    const older = compareVersions(istio.version, '1.24.0') < 0
      ? ' (and meshfleet installs Istio with Helm charts, which needs 1.24 or later: CRDs are chart templates since 1.24)' : '';
    add(['spec', 'mesh', 'istio', 'version'], istio.version, `is not a release meshfleet has tested charts for${older}; supported: ${SUPPORTED_ISTIO_VERSIONS.join(', ')}`,
      `use one of ${SUPPORTED_ISTIO_VERSIONS.map((v) => `"${v}"`).join(', ')}, or leave the field out for the default`);
  }
}

function primaryRemoteRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  const byName = new Map(fleet.clusters.map((c) => [c.name, c]));
  const primaries = fleet.clusters.filter((c) => istioClusterOf(c).role === 'primary').map((c) => c.name);
  const primaryList = primaries.length > 0 ? primaries.join(', ') : 'none yet: give at least one cluster role: primary';
  fleet.clusters.forEach((c, i) => {
    const rawCluster = raw.spec.clusters[i]!;
    const at = (...rest: Segment[]): Segment[] => ['spec', 'clusters', i, ...rest];
    const samples = rawCluster.samples as { reviews?: unknown } | undefined;
    if (samples?.reviews !== undefined) {
      add(at('samples', 'reviews'), samples.reviews, 'primary-remote fleets run the helloworld sample (seed 001), not bookinfo reviews',
        'use samples.helloworld, e.g. helloworld: [v1]');
    }
    const ic = istioClusterOf(c);
    if (ic.role === 'primary') {
      if (rawCluster.primary !== undefined) {
        add(at('primary'), rawCluster.primary, 'only a remote cluster names a primary; this cluster is a primary (role defaults to primary)',
          'remove primary, or set role: remote');
      }
      return;
    }
    if (rawCluster.primary === undefined) {
      add(at('role'), 'remote', 'a remote cluster needs `primary`: the cluster whose istiod it uses',
        `add primary: <a cluster with role primary> (primaries: ${primaryList})`);
      return;
    }
    const primary = byName.get(ic.primary!);
    if (!primary) {
      add(at('primary'), ic.primary, 'names no cluster of this fleet', `use the name of a cluster with role primary (primaries: ${primaryList})`);
      return;
    }
    if (istioClusterOf(primary).role === 'remote') {
      add(at('primary'), ic.primary, `spec.clusters[${primary.index}] (${primary.name}) is itself a remote; a remote uses the istiod of a primary cluster`,
        `name a cluster with role primary (primaries: ${primaryList})`);
      return;
    }
    if (primary.gateway.address === undefined) {
      add(at('primary'), ic.primary, `primary cluster ${primary.name} has no pinned gateway.address; this remote reaches its istiod (15012, 15017) through that address (global.remotePilotAddress)`,
        `pin ${primary.name}'s east-west gateway address: spec.clusters[${primary.index}].gateway.address, e.g. "203.0.113.10"`);
    }
  });
}

/** Fixed NodePorts of the east-west gateway: two ports of one Service cannot share one. */
function eastWestNodePorts(fleet: Fleet, raw: RawFleet, add: AddProblem, warn: AddWarning): void {
  fleet.clusters.forEach((c, i) => {
    const { eastWestNodePort, eastWestStatusNodePort } = istioClusterOf(c);
    if (eastWestNodePort === undefined && eastWestStatusNodePort === undefined) return;
    if (!hasEastWestGateway(fleet, c)) {
      for (const f of ['eastWestNodePort', 'eastWestStatusNodePort']) {
        if (raw.spec.clusters[i]?.[f] !== undefined) warn(['spec', 'clusters', i, f], `is ignored: ${c.name} runs no east-west gateway`);
      }
      return;
    }
    if (eastWestNodePort !== undefined && eastWestNodePort === eastWestStatusNodePort) {
      add(['spec', 'clusters', i, 'eastWestStatusNodePort'], eastWestStatusNodePort, `is eastWestNodePort too: 15021 and 15443 need a NodePort each`,
        'give the status port its own NodePort, e.g. 30021 beside 30043');
    }
  });
}

/** A pinned address on a cluster that runs no east-west gateway (one network, no remotes) is unused. */
function unusedGatewayAddresses(fleet: Fleet, raw: RawFleet, warn: AddWarning): void {
  fleet.clusters.forEach((c, i) => {
    if (c.gateway.address === undefined || hasEastWestGateway(fleet, c)) return;
    if (raw.spec.clusters[i]?.primary !== undefined && !fleet.clusters.some((p) => p.name === raw.spec.clusters[i]?.primary)) return;
    warn(['spec', 'clusters', i, 'gateway', 'address'], `${c.name} runs no east-west gateway (no other network to reach it from${istioClusterOf(c).role === 'remote' ? ', and its primary\'s gateway serves its network' : ', and no remote'}), so this address is not used`);
  });
}
