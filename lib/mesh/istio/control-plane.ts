/**
 * Istio's control planes, installed with Istio's Helm charts: the istio-system Namespace (with the
 * network label Helm never sets), istio-base → istiod → istio-eastwestgateway, and the Istio
 * resources of a primary: the cross-network Gateway that exposes *.local on 15443 when the mesh
 * spans networks, and istiod exposed on 15012/15017 when remotes use it (primary-remote).
 * A remote gets the base and istiod charts in the remote profile (no istiod Deployment) and an
 * east-west gateway of its own when its network differs from its primary's.
 */
import { Construct } from 'constructs';
import { IntOrString, KubeNamespace, KubeService } from '../../../imports/k8s';
import { Gateway, GatewaySpecServersTlsMode, VirtualService } from '../../../imports/istio-networking.istio.io';
import type { StageName } from '../../contracts/stages';
import { WEBHOOK_CA_BUNDLE, type RuntimeField } from '../../kube';
import { isForwarded } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import type { IstioPki } from './ca';
import { istiodReleaseName, REVISION_ANNOTATION, revisionName, revisionValue, STABLE_TAG, stableOf, tagsOn } from './revisions';
import { hasEastWestGateway, isRemote, istioClusterOf, istioOf, networksOf, primaryOf, remotesOf } from './defaults';
import {
  eastWestServicePort,
  CONTROL_PLANE_CLUSTERS_ANNOTATION,
  EASTWEST_GATEWAY,
  EASTWEST_PORT,
  EASTWEST_SELECTOR,
  eastWestServiceAnnotations,
  ISTIO_NAMESPACE,
  istiodGlobalValues,
  ISTIOD_WEBHOOK_PORT,
  multiRootValues,
  ISTIOD_XDS_PORT,
  NETWORK_LABEL,
  remoteIstiodValues,
  STATUS_PORT,
} from './values';

export const ISTIO_HELM_REPOSITORY = 'istio';

export function addIstio(plan: ClusterPlan<IstioPki>): void {
  const { fleet, cluster } = plan;
  const istio = istioOf(fleet);
  const remote = isRemote(cluster);

  // istiod reads a cluster's network from this label; `istioctl install` sets it, Helm does not.
  // A remote's namespace also names the primary whose istiod (externalIstiod) manages the cluster.
  new KubeNamespace(plan.stage('mesh-prereqs'), 'istio-system', {
    metadata: {
      name: ISTIO_NAMESPACE,
      labels: { [NETWORK_LABEL]: istioClusterOf(cluster).network },
      ...(remote ? { annotations: { [CONTROL_PLANE_CLUSTERS_ANNOTATION]: primaryOf(fleet, cluster).name } } : {}),
    },
  });

  const repository = { name: ISTIO_HELM_REPOSITORY, url: istio.chartRepository };
  const chart = (name: string, chartName: string, values: Record<string, unknown>, dependsOn: string[], readyAfter?: StageName, runtimeFields?: RuntimeField[], version = istio.version): void => {
    plan.helmChart('mesh', {
      name, namespace: ISTIO_NAMESPACE, repository, chart: chartName, version, values, dependsOn, ...(readyAfter ? { readyAfter } : {}),
      ...(runtimeFields ? { runtimeFields } : {}),
    });
  };
  // istiod patches its webhooks' caBundle, and flips the validating webhook's failurePolicy to
  // Fail once it is ready.
  const validator: RuntimeField = { ...WEBHOOK_CA_BUNDLE.validating, jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'] };
  let gatewayAfter = 'istiod';
  let gatewayVersion = istio.version;
  let gatewayRevision: Record<string, unknown> = {};
  if (istio.revisions) {
    // Canary (revisions.ts): base at the newest revision, validating with the stable one; one istiod
    // per revision, each owning the tags that point at it, the newer after the older.
    // A remote's tags are its primary's (tagsOf): its webhooks call the primary's istiod of that revision.
    const stable = stableOf(fleet, cluster);
    const { unrevisioned } = istio;
    // base's default validator calls the stable revision's istiod ("default": the unrevisioned one).
    chart('istio-base', 'base', { ...(remote ? { profile: 'remote' } : {}), defaultRevision: revisionValue(stable, unrevisioned) || 'default' }, [], undefined, [validator]);
    istio.revisions.forEach((version, i) => {
      const tags = tagsOn(fleet, cluster, version);
      const revision = revisionValue(version, unrevisioned);
      const values = remote ? remoteIstiodValues(fleet, cluster) : { global: istiodGlobalValues(fleet, cluster), ...multiRootValues(plan.pki?.trust) };
      chart(istiodReleaseName(version, unrevisioned), 'istiod', {
        ...values, ...(revision ? { revision } : {}), ...(tags.length > 0 ? { revisionTags: tags } : {}),
      }, ['istio-base', ...istio.revisions!.slice(0, i).map((v) => istiodReleaseName(v, unrevisioned))], undefined, [validator, WEBHOOK_CA_BUNDLE.mutating], version);
    });
    // The east-west gateway follows the stable tag in place (Istio's gateway canary: a revision
    // label on the gateway pods); its chart is the stable revision's, and the annotation restarts it onto a moved tag.
    gatewayAfter = istiodReleaseName(stable, unrevisioned);
    gatewayVersion = stable;
    gatewayRevision = { revision: STABLE_TAG, podAnnotations: { [REVISION_ANNOTATION]: revisionName(stable) } };
  } else {
    chart('istio-base', 'base', remote ? { profile: 'remote' } : {}, [], undefined, [validator]);
    chart('istiod', 'istiod', remote ? remoteIstiodValues(fleet, cluster) : { global: istiodGlobalValues(fleet, cluster), ...multiRootValues(plan.pki?.trust) }, ['istio-base'], undefined, [validator, WEBHOOK_CA_BUNDLE.mutating]);
  }
  if (hasEastWestGateway(fleet, cluster)) {
    // Gateway pods are injected by istiod's webhook (`image: auto`), so istiod must be up first.
    // On a remote the proxy gets its certificate from the primary's istiod, which can only verify
    // it once it holds this cluster's remote secret (`npm run link`, which reads the reader token
    // of `mesh-config`): nothing up to that stage may wait for those pods, or the stages would
    // deadlock (Flux: the release does not wait; Argo CD: its wave follows mesh-config's manifests).
    chart(EASTWEST_GATEWAY, 'gateway', { ...eastWestGatewayValues(plan), ...gatewayRevision }, [gatewayAfter], remote ? 'mesh-config' : undefined, undefined, gatewayVersion);
    const { eastWestNodePort, eastWestStatusNodePort } = istioClusterOf(cluster);
    if (eastWestNodePort !== undefined || eastWestStatusNodePort !== undefined) {
      new EastWestNodePort(plan.stage('mesh-config'), 'eastwest-nodeport', { tls: eastWestNodePort, status: eastWestStatusNodePort, tlsPort: eastWestServicePort(fleet, cluster) });
    }
  }

  // Istio resources are read by the istiod of the primary only (a remote has no istiod); they
  // apply to every east-west gateway that istiod configures, the remotes' included.
  if (remote) return;
  if (networksOf(fleet).length > 1) new CrossNetworkGateway(plan.stage('mesh-config'), 'cross-network-gateway');
  if (remotesOf(fleet, cluster).length > 0) {
    // Under revisions the remotes reach each revision's istiod by its name (the TLS SNI of
    // istiod-<revision>.istio-system.svc); anything else goes to the in-place istiod, else the newest.
    const revisions = istio.revisions?.filter((v) => v !== istio.unrevisioned).map(revisionName) ?? [];
    new ExposeIstiod(plan.stage('mesh-config'), 'expose-istiod', revisions, istio.revisions && istio.unrevisioned === undefined ? revisionName(istio.version) : undefined);
  }
}

/** Values of the `gateway` chart for the east-west gateway (Helm tab of Istio's multi-network guide). */
export function eastWestGatewayValues(plan: ClusterPlan): Record<string, unknown> {
  const annotations = eastWestServiceAnnotations(plan);
  // Where nothing assigns LoadBalancer addresses, a LoadBalancer Service stays <pending> and Helm's
  // wait for it never ends: the chart renders a NodePort Service instead (gateway.serviceType).
  const nodePort = plan.cluster.gateway.serviceType === 'NodePort';
  const service = {
    ...(nodePort ? { type: 'NodePort' } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  const network = istioClusterOf(plan.cluster).network;
  if (isForwarded(plan.cluster.gateway)) {
    // istiod learns a network's gateways from meshNetworks and, as well, from every Service labelled
    // topology.istio.io/network (its LoadBalancer status): it would hand the peers this Service's
    // private address beside the forwarded one, and send part of the traffic where it cannot arrive.
    // So the chart's networkGateway (which puts that label on the Service) is spelt out without it:
    // its four ports and the gateway's network view; the pods take the network from istio-system's label.
    return {
      name: EASTWEST_GATEWAY,
      service: { ...service, ports: NETWORK_GATEWAY_PORTS.map((p) => ({ ...p })) },
      env: { ISTIO_META_REQUESTED_NETWORK_VIEW: network },
    };
  }
  return {
    name: EASTWEST_GATEWAY,
    networkGateway: network,
    ...(Object.keys(service).length > 0 ? { service } : {}),
  };
}

/** The Service ports the gateway chart gives a network gateway (templates/service.yaml). */
const NETWORK_GATEWAY_PORTS = [
  { name: 'status-port', port: STATUS_PORT, targetPort: STATUS_PORT },
  { name: 'tls', port: EASTWEST_PORT, targetPort: EASTWEST_PORT },
  { name: 'tls-istiod', port: ISTIOD_XDS_PORT, targetPort: ISTIOD_XDS_PORT },
  { name: 'tls-webhook', port: ISTIOD_WEBHOOK_PORT, targetPort: ISTIOD_WEBHOOK_PORT },
] as const;

/**
 * Fixed NodePorts for the east-west gateway's 15443 and its status port 15021, for a NAT or load
 * balancer in front that forwards to the nodes and health-checks them (KT's console load balancer,
 * one per port). The gateway chart hard-codes a network gateway's ports, so the chart's own Service
 * gets random NodePorts, new on every re-create; this Service selects the same pods with ports that
 * survive re-creating either Service.
 */
export class EastWestNodePort extends Construct {
  constructor(scope: Construct, id: string, nodePorts: { readonly tls?: number; readonly status?: number; readonly tlsPort?: number }) {
    super(scope, id);
    const ports = [
      ...(nodePorts.status !== undefined ? [{ name: 'status-port', port: STATUS_PORT, targetPort: IntOrString.fromNumber(STATUS_PORT), nodePort: nodePorts.status, protocol: 'TCP' }] : []),
      ...(nodePorts.tls !== undefined ? [{ name: 'tls', port: nodePorts.tlsPort ?? EASTWEST_PORT, targetPort: IntOrString.fromNumber(EASTWEST_PORT), nodePort: nodePorts.tls, protocol: 'TCP' }] : []),
    ];
    new KubeService(this, 'Resource', {
      metadata: { name: `${EASTWEST_GATEWAY}-nodeport`, namespace: ISTIO_NAMESPACE, labels: { ...EASTWEST_SELECTOR, app: EASTWEST_GATEWAY } },
      spec: {
        type: 'NodePort',
        selector: { ...EASTWEST_SELECTOR },
        ports,
      },
    });
  }
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

/**
 * samples/multicluster/expose-istiod.yaml: istiod's xDS/CA (15012) and webhook (15017) ports passed
 * through the east-west gateway, so the remotes' sidecars and injection webhook reach it.
 */
export class ExposeIstiod extends Construct {
  /** `revisions`: istiod-<revision> Services reached by SNI; `fallback`: the revision behind every other name (none: the unrevisioned istiod). */
  constructor(scope: Construct, id: string, revisions: readonly string[] = [], fallback?: string) {
    super(scope, id);
    new Gateway(this, 'Gateway', {
      metadata: { name: 'istiod-gateway', namespace: ISTIO_NAMESPACE },
      spec: {
        selector: { ...EASTWEST_SELECTOR },
        servers: [
          { port: { name: 'tls-istiod', number: ISTIOD_XDS_PORT, protocol: 'tls' }, tls: { mode: GatewaySpecServersTlsMode.PASSTHROUGH }, hosts: ['*'] },
          { port: { name: 'tls-istiodwebhook', number: ISTIOD_WEBHOOK_PORT, protocol: 'tls' }, tls: { mode: GatewaySpecServersTlsMode.PASSTHROUGH }, hosts: ['*'] },
        ],
      },
    });
    const service = (revision?: string): string => `istiod${revision ? `-${revision}` : ''}.${ISTIO_NAMESPACE}.svc`;
    // istiod's Service maps 443 to the webhook's 15017.
    const routes = (sni: string, revision?: string): Record<string, unknown>[] => [
      { match: [{ port: ISTIOD_XDS_PORT, sniHosts: [sni] }], route: [{ destination: { host: `${service(revision)}.cluster.local`, port: { number: ISTIOD_XDS_PORT } } }] },
      { match: [{ port: ISTIOD_WEBHOOK_PORT, sniHosts: [sni] }], route: [{ destination: { host: `${service(revision)}.cluster.local`, port: { number: 443 } } }] },
    ];
    new VirtualService(this, 'VirtualService', {
      metadata: { name: 'istiod-vs', namespace: ISTIO_NAMESPACE },
      spec: {
        hosts: ['*'],
        gateways: ['istiod-gateway'],
        tls: [...revisions.flatMap((r) => routes(service(r), r)), ...routes('*', fallback)] as never,
      },
    });
  }
}
