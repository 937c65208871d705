/**
 * Entries a chart's templates derive from values meshfleet sets, in maps an override may otherwise
 * extend (env, labels, annotations), by chart name. `changedPaths` (lib/format/values.ts) catches an
 * override that changes a value meshfleet sets; it cannot see these, because the value (say the
 * gateway's `networkGateway`) stays as it is while an override adds `env.ISTIO_META_REQUESTED_NETWORK_VIEW`,
 * which the chart renders as a second env entry after its own, and the last one wins. Entries were
 * chosen by reading each chart's templates at the pinned versions.
 */
import { isMap } from '../format/values';

interface Derived {
  /** The key path an override must not set. */
  readonly path: readonly string[];
  /** The value the chart derives it from, as the user reads it. */
  readonly from: string;
  /** Whether the chart renders it, from the values meshfleet generated. */
  readonly when: (values: Record<string, unknown>) => boolean;
}

const at = (values: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, k) => (isMap(node) ? node[k] : undefined), values);
const set = (path: string) => (values: Record<string, unknown>): boolean => at(values, path.split('.')) !== undefined;
const always = (): boolean => true;

const DERIVED: Readonly<Record<string, readonly Derived[]>> = {
  // templates/deployment.yaml and service.yaml: `with .Values.networkGateway` adds the env entry
  // and the network label, before the `range` over .Values.env / .Values.labels.
  gateway: [
    { path: ['env', 'ISTIO_META_REQUESTED_NETWORK_VIEW'], from: 'networkGateway (the cluster\'s network)', when: set('networkGateway') },
    { path: ['labels', 'topology.istio.io/network'], from: 'networkGateway (the cluster\'s network)', when: set('networkGateway') },
  ],
  // templates/deployment.yaml: CLUSTER_ID from global.multiCluster.clusterName, after .Values.env.
  istiod: [
    { path: ['env', 'CLUSTER_ID'], from: 'global.multiCluster.clusterName (the cluster\'s name)', when: always },
  ],
  // templates/gateway.yaml: the gateway pod's annotations, before gateway.deploymentAnnotations.
  'linkerd-multicluster': [
    { path: ['gateway', 'deploymentAnnotations', 'config.linkerd.io/proxy-require-identity-inbound-ports'], from: 'gateway.port', when: always },
    { path: ['gateway', 'deploymentAnnotations', 'config.linkerd.io/enable-gateway'], from: 'the gateway itself', when: always },
    { path: ['gateway', 'deploymentAnnotations', 'config.linkerd.io/default-inbound-policy'], from: 'the gateway itself', when: always },
    { path: ['gateway', 'deploymentAnnotations', 'linkerd.io/inject'], from: 'the gateway itself', when: always },
  ],
};

/**
 * The override paths that set an entry `chart` derives from the `generated` values, each with what
 * it is derived from.
 */
export function derivedOverridePaths(chart: string, generated: Record<string, unknown>, override: unknown): { path: string; from: string }[] {
  const out: { path: string; from: string }[] = [];
  for (const d of DERIVED[chart] ?? []) {
    if (!d.when(generated)) continue;
    if (at(override, d.path) !== undefined) out.push({ path: d.path.join('.'), from: d.from });
  }
  return out;
}
