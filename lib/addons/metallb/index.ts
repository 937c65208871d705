/**
 * MetalLB for clusters whose LoadBalancer Services stay <pending> (seed 000 §7.1.3, KT K2P): the
 * chart in `infrastructure`, the address pool (and, when announcing, an L2Advertisement) in
 * `infrastructure-config` — after MetalLB's webhook is up, which a pool applied right after the
 * chart would race. The mesh's gateway asks for its pinned address by Service annotation (published
 * on the plan for the mesh to use), never with the deprecated spec.loadBalancerIP.
 */
import { Construct } from 'constructs';
import { KubeNamespace } from '../../../imports/k8s';
import { IpAddressPool } from '../../../imports/metallb-ipaddresspool-metallb.io';
import { L2Advertisement } from '../../../imports/metallb-l2advertisement-metallb.io';
import { compareVersions } from '../../format/semver';
import type { ClusterPlan } from '../../contracts/plan';
import type { AddOn } from '../../contracts/addon';
import { METALLB_DEFAULTS, metallbOf, resolveMetalLB, type MetalLB } from './defaults';
import { metallbRules } from './rules';
import { metallbSchema } from './schema';
import { WEBHOOK_CA_BUNDLE } from '../../kube';
import type { Footprint } from '../../contracts/preflight';

export const METALLB_NAMESPACE = 'metallb-system';
/** The pool's name where the mesh runs no cross-cluster gateway (mesh type none). */
export const METALLB_POOL = 'meshfleet';
const METALLB_CHARTS = 'https://metallb.github.io/metallb';
/** The first MetalLB release whose chart turns FRR-K8s on by default. */
const FRR_K8S_DEFAULT_SINCE = '0.16.0';
/** MetalLB's controller: its own manifests name it controller, its chart (release metallb) metallb-controller. */
const CONTROLLER: Footprint = { project: 'MetalLB', kind: 'Deployment', namespace: METALLB_NAMESPACE, name: 'controller', aliases: ['metallb-controller'], container: 'controller', release: 'metallb' };

export const metallb: AddOn = {
  name: 'metallb',
  clusterSchema: { metallb: metallbSchema },
  resolveCluster: resolveMetalLB,
  rules: (fleet, raw, add) => metallbRules(fleet, raw, add),
  plan: addMetalLB,
  assignsGatewayAddress: (cluster) => metallbOf(cluster) !== undefined,
  footprint: CONTROLLER,
  expects(cluster) {
    const m = metallbOf(cluster);
    if (!m) return [];
    const at = `spec.clusters[${cluster.index}].metallb`;
    return [m.install
      ? { footprint: CONTROLLER, mode: 'installs', version: m.version, field: `${at}.version`,
        fix: `to keep the installed MetalLB, set ${at}.install: false and ${at}.version to its version; otherwise uninstall it before the infrastructure stage is applied` }
      : { footprint: CONTROLLER, mode: 'runs', version: m.version, field: `${at}.install`, versionField: `${at}.version`,
        fix: `set ${at}.install: true (meshfleet installs MetalLB), or install MetalLB on the cluster first` }];
  },
  pins: { 'MetalLB chart': '0.14.9, 0.15.3, 0.16.1 (default)' },
  // Its CRDs are templates of a subchart, none marked keep.
  // 0.16.1 by default: MetalLB fixes only its latest minor; 0.14.9 and 0.15.3 stay installable for
  // clusters that have not moved yet.
  charts: [
    { chart: 'metallb', version: '0.14.9', uninstallDeletes: ['BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'Community', 'IPAddressPool', 'L2Advertisement', 'ServiceL2Status'] },
    { chart: 'metallb', version: '0.15.3', uninstallDeletes: ['BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'Community', 'ConfigurationState', 'IPAddressPool', 'L2Advertisement', 'ServiceBGPStatus', 'ServiceL2Status'] },
    { chart: 'metallb', version: METALLB_DEFAULTS.metallbVersion, uninstallDeletes: ['BFDProfile', 'BGPAdvertisement', 'BGPPeer', 'Community', 'ConfigurationState', 'IPAddressPool', 'L2Advertisement', 'ServiceBGPStatus', 'ServiceL2Status'] },
  ],
  summary(cluster) {
    const m = metallbOf(cluster);
    if (!m) return undefined;
    if (m.existingPool !== undefined) return `MetalLB ${m.version} (already installed): its own pool \`${m.existingPool}\` (${m.addresses.join(', ')})`;
    return `MetalLB ${m.version}${m.install ? '' : ' (already installed)'}: pool ${m.addresses.join(', ')}, ${m.announce === 'l2' ? 'announced over L2' : 'assigned, not announced'}`;
  },
};

function addMetalLB(plan: ClusterPlan): void {
  const settings = metallbOf(plan.cluster);
  if (!settings) return;
  if (settings.install) {
    const infra = plan.stage('infrastructure');
    // The speaker needs host networking and NET_RAW, as in MetalLB's own manifests.
    const privileged = { enforce: 'privileged', audit: 'privileged', warn: 'privileged' };
    new KubeNamespace(infra, 'metallb-namespace', {
      metadata: {
        name: METALLB_NAMESPACE,
        labels: Object.fromEntries(Object.entries(privileged).map(([mode, level]) => [`pod-security.kubernetes.io/${mode}`, level])),
      },
    });
    plan.helmChart('infrastructure', {
      name: 'metallb', namespace: METALLB_NAMESPACE, repository: { name: 'metallb', url: METALLB_CHARTS }, chart: 'metallb', version: settings.version,
      // From 0.16 the chart runs FRR-K8s (a DaemonSet, a webhook and four CRDs) as its BGP backend by
      // default; meshfleet only assigns or announces over L2, which needs no BGP at all.
      ...(compareVersions(settings.version, FRR_K8S_DEFAULT_SINCE) >= 0 ? { values: { frrk8s: { enabled: false } } } : {}),
      // MetalLB's cert rotator patches the caBundle of its webhook and of its CRDs' conversion webhook.
      runtimeFields: [WEBHOOK_CA_BUNDLE.validating, WEBHOOK_CA_BUNDLE.crdConversion],
    });
  }
  // Named after the gateway it serves (istio-eastwest, linkerd-gateway, clustermesh-apiserver);
  // none where the cluster's MetalLB has a pool holding the address already.
  if (settings.existingPool === undefined) new EastWestPool(plan.stage('infrastructure-config'), 'metallb-pool', settings, plan.gatewayName ?? METALLB_POOL);
  // The address the Service asks for (gateway.serviceAddress, which defaults to gateway.address).
  const address = plan.cluster.gateway.serviceAddress;
  if (address !== undefined) plan.gatewayServiceAnnotations[loadBalancerIPsAnnotation(settings.version)] = address;
}

export class EastWestPool extends Construct {
  constructor(scope: Construct, id: string, settings: MetalLB, name: string) {
    super(scope, id);
    new IpAddressPool(this, 'Pool', {
      metadata: { name, namespace: METALLB_NAMESPACE },
      spec: { addresses: [...settings.addresses], autoAssign: settings.autoAssign, avoidBuggyIPs: settings.avoidBuggyIPs },
    });
    // Without an advertisement MetalLB still assigns the address (the mesh reads it from the Service
    // status) but does not announce it: right when a NAT or cloud LB in front forwards to the nodes.
    if (settings.announce === 'l2') {
      new L2Advertisement(this, 'L2', {
        metadata: { name, namespace: METALLB_NAMESPACE },
        spec: { ipAddressPools: [name] },
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
