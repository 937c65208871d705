/**
 * The values that name a chart's images, per chart, with what each names upstream: with
 * spec.registries.images every one is set to its mirrored form (lib/format/images.ts). Images the
 * charts take from another release (Istio's injected proxies and gateways: istiod's `global.hub`;
 * Linkerd's proxies: the control plane's `proxy.image.name`) follow that release's value.
 * test/helm/charts.test.ts renders every release of every example with a mirror and fails on any
 * pod image outside it.
 */
import { mirrorImage } from '../format/images';
import { declaredDefault } from './declared';

const ISTIO = { 'global.hub': 'docker.io/istio' };
const LINKERD_CONTROLLER = 'cr.l5d.io/linkerd/controller';

export const IMAGE_VALUES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  istiod: ISTIO,
  base: ISTIO,
  cilium: {
    'image.repository': 'quay.io/cilium/cilium',
    'envoy.image.repository': 'quay.io/cilium/cilium-envoy',
    'operator.image.repository': 'quay.io/cilium/operator',
    'certgen.image.repository': 'quay.io/cilium/certgen',
    'clustermesh.apiserver.image.repository': 'quay.io/cilium/clustermesh-apiserver',
    'hubble.relay.image.repository': 'quay.io/cilium/hubble-relay',
    'hubble.ui.backend.image.repository': 'quay.io/cilium/hubble-ui-backend',
    'hubble.ui.frontend.image.repository': 'quay.io/cilium/hubble-ui',
    'preflight.image.repository': 'quay.io/cilium/cilium',
    'nodeinit.image.repository': 'quay.io/cilium/startup-script',
  },
  metallb: {
    'controller.image.repository': 'quay.io/metallb/controller',
    'speaker.image.repository': 'quay.io/metallb/speaker',
    'speaker.frr.image.repository': 'quay.io/frrouting/frr',
  },
  'metrics-server': {
    'image.repository': 'registry.k8s.io/metrics-server/metrics-server',
  },
  'linkerd-control-plane': {
    controllerImage: LINKERD_CONTROLLER,
    'proxy.image.name': 'cr.l5d.io/linkerd/proxy',
    'proxyInit.image.name': 'cr.l5d.io/linkerd/proxy-init',
    'policyController.image.name': 'cr.l5d.io/linkerd/policy-controller',
    'debugContainer.image.name': 'cr.l5d.io/linkerd/debug',
  },
  'linkerd-multicluster': {
    'gateway.pauseImage': 'gcr.io/google_containers/pause:3.2',
    'localServiceMirror.image.name': LINKERD_CONTROLLER,
    'controllerDefaults.image.name': LINKERD_CONTROLLER,
    'namespaceMetadata.image.registry': 'cr.l5d.io/linkerd',
  },
};

/** Charts that declare no image of their own but take one release's value (base: istiod's hub). */
const IMAGES_OF: Readonly<Record<string, string>> = { base: 'istiod' };

/**
 * What `path` names upstream in `chart` `version`: the chart's own default (imports/charts/, so
 * Istio 1.30's registry.istio.io/release and Linkerd 2.20's registry.k8s.io pause image follow the
 * chart), else the table's; undefined when the recorded chart no longer has the value (Linkerd
 * 2.20 runs proxy-init and the policy controller from the proxy and controller images).
 */
function upstreamImage(chart: string, version: string, path: string, fallback: string): string | undefined {
  const found = declaredDefault(IMAGES_OF[chart] ?? chart, version, path);
  if (found === null) return fallback;
  return typeof found === 'string' && found !== '' ? found : undefined;
}

/** The values that point `chart` `version`'s images at the mirror `prefix`; empty without one. */
export function imageValues(chart: string, version: string, prefix: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!prefix) return out;
  for (const [path, fallback] of Object.entries(IMAGE_VALUES[chart] ?? {})) {
    const upstream = upstreamImage(chart, version, path, fallback);
    if (upstream === undefined) continue;
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[keys.at(-1)!] = mirrorImage(upstream, prefix);
  }
  return out;
}
