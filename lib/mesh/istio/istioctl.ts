/**
 * dist/istioctl/<cluster>.yaml: the same installation as one IstioOperator, for teams that run
 * `istioctl install` instead of GitOps. The GitOps engine never applies it. The values come from the same
 * functions as the HelmReleases (lib/mesh/istio/values.ts).
 */
import { ApiObject } from 'cdk8s';
import { IstioOperator } from '../../../imports/istio-operator-install.istio.io';
import type { ClusterPlan } from '../../contracts/plan';
import { hasEastWestGateway, isRemote, istioClusterOf } from './defaults';
import type { IstioPki } from './ca';
import { EASTWEST_GATEWAY, EASTWEST_PORT, EASTWEST_SELECTOR, eastWestServiceAnnotations, ISTIO_NAMESPACE, istiodGlobalValues, multiRootValues, NETWORK_LABEL, remoteIstiodValues } from './values';

export function istioctlPath(cluster: string): string {
  return `istioctl/${cluster}.yaml`;
}

export function addIstioctlFile(plan: ClusterPlan<IstioPki>): void {
  const { fleet, cluster } = plan;
  const network = istioClusterOf(cluster).network;
  const serviceAnnotations = eastWestServiceAnnotations(plan);
  // A remote: the remote profile with the same values as its istiod HelmRelease (no istiod).
  const remote = isRemote(cluster) ? remoteIstiodValues(fleet, cluster) : undefined;
  const multiRoot = remote ? {} : multiRootValues(plan.pki?.trust);
  // The IstioOperator CRD only preserves unknown fields, so its generated class has no `spec`.
  new ApiObject(plan.file(istioctlPath(cluster.name)), 'istio-operator', {
    ...IstioOperator.GVK,
    metadata: { name: cluster.name, namespace: ISTIO_NAMESPACE },
    spec: {
      profile: remote ? 'remote' : 'default',
      values: {
        global: remote ? remote.global : istiodGlobalValues(fleet, cluster),
        ...(remote ? { istiodRemote: remote.istiodRemote } : {}),
        gateways: { 'istio-ingressgateway': { injectionTemplate: 'gateway' } },
        ...(multiRoot.pilot ? { pilot: multiRoot.pilot } : {}),
      },
      // IstioOperator carries mesh config beside the values, not in them.
      ...(multiRoot.meshConfig ? { meshConfig: multiRoot.meshConfig } : {}),
      components: {
        // Same shape as the Helm path: no north-south gateway, one dedicated east-west gateway
        // (samples/multicluster/gen-eastwest-gateway.sh, without the obsolete ROUTER_MODE).
        ingressGateways: [
          { name: 'istio-ingressgateway', enabled: false },
          {
            name: EASTWEST_GATEWAY,
            enabled: hasEastWestGateway(fleet, cluster),
            label: { ...EASTWEST_SELECTOR, app: EASTWEST_GATEWAY, [NETWORK_LABEL]: network },
            k8s: {
              env: [{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }],
              ...(Object.keys(serviceAnnotations).length > 0 ? { serviceAnnotations } : {}),
              service: {
                ...(cluster.gateway.serviceType === 'NodePort' ? { type: 'NodePort' } : {}),
                ports: [
                  { name: 'status-port', port: 15021, targetPort: 15021 },
                  { name: 'tls', port: EASTWEST_PORT, targetPort: EASTWEST_PORT },
                  { name: 'tls-istiod', port: 15012, targetPort: 15012 },
                  { name: 'tls-webhook', port: 15017, targetPort: 15017 },
                ],
              },
            },
          },
        ],
      },
    },
  });
}
