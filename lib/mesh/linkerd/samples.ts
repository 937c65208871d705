/**
 * Seed 004 §4 on Linkerd: helloworld v1 on the exporter cluster, its Service labelled
 * mirror.linkerd.io/exported=true so every linked cluster mirrors it as helloworld-<exporter>;
 * helloworld v2, the curl client and a 50/50 split between helloworld and helloworld-<exporter>
 * on the client cluster. The split is a policy.linkerd.io HTTPRoute by default (SMI is
 * deprecated, and linkerd-smi's ServiceProfile would override an HTTPRoute on the same Service),
 * or the seed's TrafficSplit with `spec.samples.split: smi`.
 */
import { HttpRouteV1Beta3 } from '../../../imports/linkerd-httproute-policy.linkerd.io';
import { TrafficSplit } from '../../../imports/linkerd-smi-trafficsplit-split.smi-spec.io';
import type { ClusterPlan } from '../../contracts/plan';
import { SAMPLE_NAMESPACE } from '../../samples/bookinfo';
import { addHelloworld, HELLOWORLD, HELLOWORLD_PORT, type HelloworldVersion } from '../../samples/helloworld';
import { linkerdOf } from './defaults';
import { EXPORTED_LABEL } from './link';

/** What runs on `cluster` (empty when it is neither the exporter nor the client). */
export function samplePlacement(plan: ClusterPlan): { versions: HelloworldVersion[]; curl: boolean; exported: boolean; split: boolean } {
  const s = linkerdOf(plan.fleet).samples;
  const name = plan.cluster.name;
  return {
    versions: [...(name === s.exporter ? ['v1' as const] : []), ...(name === s.client ? ['v2' as const] : [])],
    curl: name === s.client,
    exported: name === s.exporter,
    split: name === s.client,
  };
}

export function addLinkerdSamples(plan: ClusterPlan): void {
  if (!plan.fleet.samples.enabled) return;
  const linkerd = linkerdOf(plan.fleet);
  const here = samplePlacement(plan);
  if (here.versions.length === 0 && !here.curl) return;
  const apps = plan.stage('apps');
  addHelloworld(apps, { versions: here.versions, curl: here.curl, ...(here.exported ? { serviceLabels: { [EXPORTED_LABEL]: 'true' } } : {}) },
    { annotations: { 'linkerd.io/inject': 'enabled' } });
  if (!here.split) return;
  const mirrored = `${HELLOWORLD}-${linkerd.samples.exporter}`;
  if (linkerd.samples.split === 'smi') {
    // The seed's TrafficSplit, field for field (split.smi-spec.io/v1alpha1).
    new TrafficSplit(apps, 'traffic-split', {
      metadata: { name: HELLOWORLD, namespace: SAMPLE_NAMESPACE },
      spec: { service: HELLOWORLD, backends: [{ service: HELLOWORLD, weight: 50 }, { service: mirrored, weight: 50 }] },
    });
  } else {
    // A producer route (same namespace as its parent Service): it applies to every meshed client.
    new HttpRouteV1Beta3(apps, 'http-route', {
      metadata: { name: `${HELLOWORLD}-split`, namespace: SAMPLE_NAMESPACE },
      spec: {
        parentRefs: [{ name: HELLOWORLD, kind: 'Service', group: 'core', port: HELLOWORLD_PORT }],
        rules: [{
          backendRefs: [
            { name: HELLOWORLD, port: HELLOWORLD_PORT, weight: 50 },
            { name: mirrored, port: HELLOWORLD_PORT, weight: 50 },
          ],
        }],
      },
    });
  }
}
