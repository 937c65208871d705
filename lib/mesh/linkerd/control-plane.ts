/**
 * Linkerd's control plane and multicluster extension per cluster, from Linkerd's edge Helm charts
 * (seed 004 §3.2–3.4), declaratively:
 *
 *   mesh-prereqs  Namespaces linkerd and linkerd-multicluster with the labels the charts only set
 *                 under the CLI; the SOPS-encrypted linkerd-identity-issuer Secret (from pki/)
 *   mesh          linkerd-crds → linkerd-control-plane (trust anchor, issuer scheme kubernetes.io/tls)
 *                 → linkerd-multicluster (gateway pinned through the add-ons' Service annotations,
 *                 one service-mirror controller per peer); linkerd-smi for `spec.samples.split: smi`
 *   mesh-config   the Links and their credentials (link.ts), whose CRD linkerd-multicluster installs
 */
import { bundleOf } from '../../pki/rotation';
import { createHash } from 'node:crypto';
import { KubeNamespace } from '../../../imports/k8s';
import type { ClusterPlan } from '../../contracts/plan';
import { ISSUER_SECRET, LINKERD_NAMESPACE, MULTICLUSTER_NAMESPACE, type LinkerdPki } from './ca';
import { LINKERD_SMI, linkerdOf, peersOf } from './defaults';
import { WEBHOOK_CA_BUNDLE } from '../../kube';

export const LINKERD_HELM_REPOSITORY = 'linkerd-edge';
export const SMI_NAMESPACE = 'linkerd-smi';
export const GATEWAY_NAME = 'linkerd-gateway';
export const GATEWAY_PORT = 4143;
export const PROBE_PORT = 4191;
export const PROBE_PATH = '/ready';
export const PROBE_PERIOD = '3s';

/** The gateway's mTLS identity: <gateway>.<namespace>.serviceaccount.identity.<linkerd namespace>.<trust domain>. */
export const GATEWAY_IDENTITY = `${GATEWAY_NAME}.${MULTICLUSTER_NAMESPACE}.serviceaccount.identity.${LINKERD_NAMESPACE}.cluster.local`;

/** Labels `linkerd install` puts on its namespace (charts/linkerd-control-plane/templates/namespace.yaml). */
export const LINKERD_NAMESPACE_META = {
  annotations: { 'linkerd.io/inject': 'disabled' },
  labels: {
    'linkerd.io/is-control-plane': 'true',
    'config.linkerd.io/admission-webhooks': 'disabled',
    'linkerd.io/control-plane-ns': LINKERD_NAMESPACE,
    // linkerd-init needs NET_ADMIN/NET_RAW: "restricted" only with the Linkerd CNI plugin.
    'pod-security.kubernetes.io/enforce': 'privileged',
  },
};

export function addLinkerd(plan: ClusterPlan<LinkerdPki>): void {
  const { fleet, cluster } = plan;
  const linkerd = linkerdOf(fleet);
  const pki = plan.pki;
  const prereqs = plan.stage('mesh-prereqs');
  new KubeNamespace(prereqs, 'linkerd', { metadata: { name: LINKERD_NAMESPACE, ...LINKERD_NAMESPACE_META } });
  new KubeNamespace(prereqs, 'linkerd-multicluster', {
    metadata: {
      name: MULTICLUSTER_NAMESPACE,
      labels: { 'linkerd.io/extension': 'multicluster', 'pod-security.kubernetes.io/enforce': 'privileged' },
    },
  });
  // The identity controller reads the issuer only from this Secret (scheme kubernetes.io/tls), and
  // fails to start without it: it has to be there before linkerd-control-plane.
  const issuer = pki?.clusters.get(cluster.name);
  if (issuer) plan.verbatim('mesh-prereqs', `secret-${ISSUER_SECRET}.yaml`, issuer.issuerSecret);

  const repository = { name: LINKERD_HELM_REPOSITORY, url: linkerd.chartRepository };
  plan.helmChart('mesh', { name: 'linkerd-crds', namespace: LINKERD_NAMESPACE, repository, chart: 'linkerd-crds', version: linkerd.chartVersion, values: {} });
  plan.helmChart('mesh', {
    name: 'linkerd-control-plane', namespace: LINKERD_NAMESPACE, repository, chart: 'linkerd-control-plane', version: linkerd.chartVersion,
    values: controlPlaneValues(pki, cluster.name), dependsOn: ['linkerd-crds'],
    // Without externally managed webhook certificates the chart generates a CA and certificate for
    // each admission webhook on every render, and a checksum of them on the two Deployments that
    // serve the webhooks: the live ones are what the first install made, or every refresh would
    // restart linkerd-destination and linkerd-proxy-injector.
    runtimeFields: [
      WEBHOOK_CA_BUNDLE.mutating, WEBHOOK_CA_BUNDLE.validating,
      ...['linkerd-proxy-injector-k8s-tls', 'linkerd-sp-validator-k8s-tls', 'linkerd-policy-validator-k8s-tls'].map((name) => ({ group: '', kind: 'Secret', name, jsonPointers: ['/data'] })),
      ...['linkerd-destination', 'linkerd-proxy-injector'].map((name) => ({ group: 'apps', kind: 'Deployment', name, jsonPointers: ['/spec/template/metadata/annotations/checksum~1config'] })),
    ],
  });
  // Its pods are meshed by the proxy injector, which must be running first.
  plan.helmChart('mesh', {
    name: 'linkerd-multicluster', namespace: MULTICLUSTER_NAMESPACE, repository, chart: 'linkerd-multicluster', version: linkerd.chartVersion,
    values: multiclusterValues(plan), dependsOn: [{ name: 'linkerd-control-plane', namespace: LINKERD_NAMESPACE }],
  });
  if (fleet.samples.enabled && linkerd.samples.split === 'smi') {
    new KubeNamespace(prereqs, 'linkerd-smi', { metadata: { name: SMI_NAMESPACE, labels: { 'linkerd.io/extension': 'smi' } } });
    plan.helmChart('mesh', {
      name: LINKERD_SMI.chart, namespace: SMI_NAMESPACE, repository: { name: 'linkerd-smi', url: LINKERD_SMI.repository },
      chart: LINKERD_SMI.chart, version: LINKERD_SMI.version, values: {}, dependsOn: [{ name: 'linkerd-control-plane', namespace: LINKERD_NAMESPACE }],
    });
  }
}

/** linkerd-control-plane: the fleet's trust anchor; the issuer comes from the Secret in mesh-prereqs. */
export function controlPlaneValues(pki: LinkerdPki | undefined, cluster: string): Record<string, unknown> {
  return {
    // While the anchor is being replaced, both (this cluster's signing anchor first).
    ...(pki ? { identityTrustAnchorsPEM: bundleOf(pki.trust, cluster).join('') } : {}),
    identity: { issuer: { scheme: 'kubernetes.io/tls' } },
    heartbeatSchedule: heartbeatSchedule(cluster),
  };
}

/**
 * The heartbeat CronJob's schedule, fixed per cluster. Unset, the chart takes it from the clock at
 * render time (`now` + 10 minutes), so every render differs: Argo CD's repo-server renders on every
 * refresh and would report the CronJob out of sync forever, and the output would depend on the date.
 * A daily minute spread by the cluster's name, as upstream's default spreads installs by time.
 */
export function heartbeatSchedule(cluster: string): string {
  const h = createHash('sha256').update(cluster).digest();
  return `${h[0]! % 60} ${h[1]! % 24} * * *`;
}

/** linkerd-multicluster: the gateway Service as the add-ons annotate it, a controller per peer (2.18+ `controllers`). */
export function multiclusterValues(plan: ClusterPlan): Record<string, unknown> {
  const annotations = { ...plan.gatewayServiceAnnotations };
  // gateway.serviceType NodePort: nothing assigns LoadBalancer addresses here (Helm would wait forever).
  const gateway = {
    ...(plan.cluster.gateway.serviceType === 'NodePort' ? { serviceType: 'NodePort' } : {}),
    ...(Object.keys(annotations).length > 0 ? { serviceAnnotations: annotations } : {}),
  };
  return {
    ...(Object.keys(gateway).length > 0 ? { gateway } : {}),
    controllers: peersOf(plan.fleet, plan.cluster).map((peer) => ({ link: { ref: { name: peer.name } } })),
  };
}
