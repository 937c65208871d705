/**
 * Istio multi-primary on different networks, installed with Istio's Helm charts:
 * the istio-system Namespace (with the network label Helm never sets), istio-base → istiod →
 * istio-eastwestgateway, and the cross-network Gateway that exposes *.local on 15443.
 */
import { Construct } from 'constructs';
import { KubeNamespace } from '../../../imports/k8s';
import { Gateway, GatewaySpecServersTlsMode } from '../../../imports/istio-networking.istio.io';
import type { ClusterPlan } from '../../plan';
import { istioClusterOf, istioOf } from './defaults';
import {
  EASTWEST_GATEWAY,
  EASTWEST_PORT,
  EASTWEST_SELECTOR,
  eastWestServiceAnnotations,
  ISTIO_NAMESPACE,
  istiodGlobalValues,
  NETWORK_LABEL,
} from './values';

export const ISTIO_HELM_REPOSITORY = 'istio';

export function addIstio(plan: ClusterPlan): void {
  const { fleet, cluster } = plan;
  const istio = istioOf(fleet);

  // istiod reads a cluster's network from this label; `istioctl install` sets it, Helm does not.
  new KubeNamespace(plan.stage('mesh-prereqs'), 'istio-system', {
    metadata: { name: ISTIO_NAMESPACE, labels: { [NETWORK_LABEL]: istioClusterOf(cluster).network } },
  });

  const repository = { name: ISTIO_HELM_REPOSITORY, url: istio.chartRepository };
  const chart = (name: string, chartName: string, values: Record<string, unknown>, dependsOn: string[]): void => {
    plan.helmChart('mesh', { name, namespace: ISTIO_NAMESPACE, repository, chart: chartName, version: istio.version, values, dependsOn });
  };
  chart('istio-base', 'base', {}, []);
  chart('istiod', 'istiod', { global: istiodGlobalValues(fleet, cluster) }, ['istio-base']);
  // Gateway pods are injected by istiod's webhook (`image: auto`), so istiod must be up first.
  chart(EASTWEST_GATEWAY, 'gateway', eastWestGatewayValues(plan), ['istiod']);

  new CrossNetworkGateway(plan.stage('mesh-config'), 'cross-network-gateway');
}

/** Values of the `gateway` chart for the east-west gateway (Helm tab of Istio's multi-network guide). */
export function eastWestGatewayValues(plan: ClusterPlan): Record<string, unknown> {
  const annotations = eastWestServiceAnnotations(plan);
  return {
    name: EASTWEST_GATEWAY,
    networkGateway: istioClusterOf(plan.cluster).network,
    ...(Object.keys(annotations).length > 0 ? { service: { annotations } } : {}),
  };
}

/** samples/multicluster/expose-services.yaml: every *.local service reachable through the east-west gateway. */
export class CrossNetworkGateway extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new Gateway(this, 'Resource', {
      metadata: { name: 'cross-network-gateway', namespace: ISTIO_NAMESPACE },
      spec: {
        selector: { ...EASTWEST_SELECTOR },
        servers: [{
          port: { number: EASTWEST_PORT, name: 'tls', protocol: 'TLS' },
          tls: { mode: GatewaySpecServersTlsMode.AUTO_UNDERSCORE_PASSTHROUGH },
          hosts: ['*.local'],
        }],
      },
    });
  }
}
