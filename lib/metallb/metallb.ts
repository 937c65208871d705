/**
 * MetalLB for clusters whose LoadBalancer Services stay <pending> (seed 000 §7.1.3, KT K2P): the
 * chart in `infrastructure`, the address pool (and, when announcing, an L2Advertisement) in
 * `infrastructure-config` — after MetalLB's webhook is up, which a pool applied right after the
 * chart would race. The east-west gateway asks for its pinned address by annotation
 * (lib/istio/values.ts), never with the deprecated spec.loadBalancerIP.
 */
import { Construct } from 'constructs';
import { KubeNamespace } from '../../imports/k8s';
import { IpAddressPool } from '../../imports/metallb-ipaddresspool-metallb.io';
import { L2Advertisement } from '../../imports/metallb-l2advertisement-metallb.io';
import { compareVersions } from '../fleet/semver';
import type { MetalLB } from '../fleet/types';
import { HelmChart, HelmRepo } from '../gitops/flux';
import type { ClusterPlan } from '../plan';

export const METALLB_NAMESPACE = 'metallb-system';
export const METALLB_POOL = 'istio-eastwest';
const METALLB_CHARTS = 'https://metallb.github.io/metallb';

export function addMetalLB(plan: ClusterPlan): void {
  const metallb = plan.cluster.metallb;
  if (!metallb) return;
  if (metallb.install) {
    const infra = plan.stage('infrastructure');
    // The speaker needs host networking and NET_RAW, as in MetalLB's own manifests.
    const privileged = { enforce: 'privileged', audit: 'privileged', warn: 'privileged' };
    new KubeNamespace(infra, 'metallb-namespace', {
      metadata: {
        name: METALLB_NAMESPACE,
        labels: Object.fromEntries(Object.entries(privileged).map(([mode, level]) => [`pod-security.kubernetes.io/${mode}`, level])),
      },
    });
    new HelmRepo(infra, 'metallb-charts', { name: 'metallb', namespace: METALLB_NAMESPACE, url: METALLB_CHARTS });
    new HelmChart(infra, 'metallb', { name: 'metallb', namespace: METALLB_NAMESPACE, repository: 'metallb', chart: 'metallb', version: metallb.version });
  }
  new EastWestPool(plan.stage('infrastructure-config'), 'metallb-pool', metallb);
}

export class EastWestPool extends Construct {
  constructor(scope: Construct, id: string, metallb: MetalLB) {
    super(scope, id);
    new IpAddressPool(this, 'Pool', {
      metadata: { name: METALLB_POOL, namespace: METALLB_NAMESPACE },
      spec: { addresses: [...metallb.addresses], autoAssign: metallb.autoAssign, avoidBuggyIPs: metallb.avoidBuggyIPs },
    });
    // Without an advertisement MetalLB still assigns the address (Istio reads it from the Service
    // status) but does not announce it: right when a NAT or cloud LB in front forwards to the nodes.
    if (metallb.announce === 'l2') {
      new L2Advertisement(this, 'L2', {
        metadata: { name: METALLB_POOL, namespace: METALLB_NAMESPACE },
        spec: { ipAddressPools: [METALLB_POOL] },
      });
    }
  }
}

/**
 * The Service annotation that requests an address: MetalLB 0.14.9 introduced the metallb.io
 * prefix (the old one still works there); 0.14.8 and earlier only know metallb.universe.tf.
 */
export function loadBalancerIPsAnnotation(version: string): string {
  return compareVersions(version, '0.14.9') >= 0 ? 'metallb.io/loadBalancerIPs' : 'metallb.universe.tf/loadBalancerIPs';
}
