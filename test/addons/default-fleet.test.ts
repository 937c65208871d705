/** Seed 000 §6–7 add-ons as GitOps, on the default fleet: what each cluster gets and in which stage. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, objectAt, renderObjects } from '../helpers';

const files = renderObjects(DEFAULT_FLEET);
const under = (prefix: string): string[] => [...files.keys()].filter((p) => p.startsWith(prefix)).sort();

describe('the default fleet renders what seed 000 does by hand', () => {
  it('kt-k2p: MetalLB, its pool, the pinned gateway and metrics-server', () => {
    expect(under('manifests/kt-k2p/infrastructure/')).toEqual([
      'manifests/kt-k2p/infrastructure/helmrelease-metallb.yaml',
      'manifests/kt-k2p/infrastructure/helmrelease-metrics-server.yaml',
      'manifests/kt-k2p/infrastructure/helmrepository-metallb.yaml',
      'manifests/kt-k2p/infrastructure/helmrepository-metrics-server.yaml',
      'manifests/kt-k2p/infrastructure/kustomization.yaml',
      'manifests/kt-k2p/infrastructure/namespace-metallb-system.yaml',
    ]);
    expect(objectAt(files, 'manifests/kt-k2p/infrastructure-config/ipaddresspool-istio-eastwest.yaml').spec).toEqual({
      addresses: ['203.0.113.10/32'], autoAssign: false, avoidBuggyIPs: false,
    });
    const gw = objectAt(files, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml');
    expect(gw.spec.values.service).toEqual({ annotations: { 'metallb.io/loadBalancerIPs': '203.0.113.10' } });
    const iop = objectAt(files, 'istioctl/kt-k2p.yaml').spec.components.ingressGateways[1];
    expect(iop.k8s.serviceAnnotations).toEqual({ 'metallb.io/loadBalancerIPs': '203.0.113.10' });
    expect(objectAt(files, 'manifests/kt-k2p/infrastructure/helmrelease-metrics-server.yaml').spec.values).toEqual({ args: ['--kubelet-insecure-tls'] });
  });

  it('ncloud-nks: the Cilium patch and the restart', () => {
    expect(under('manifests/ncloud-nks/infrastructure')).toEqual([
      'manifests/ncloud-nks/infrastructure-config/job-meshfleet-cilium-restart-ddb0560a27.yaml',
      'manifests/ncloud-nks/infrastructure-config/kustomization.yaml',
      'manifests/ncloud-nks/infrastructure-config/role-meshfleet-cilium-restart.yaml',
      'manifests/ncloud-nks/infrastructure-config/rolebinding-meshfleet-cilium-restart.yaml',
      'manifests/ncloud-nks/infrastructure-config/serviceaccount-meshfleet-cilium-restart.yaml',
      'manifests/ncloud-nks/infrastructure/configmap-cilium-config.yaml',
      'manifests/ncloud-nks/infrastructure/kustomization.yaml',
    ]);
    expect(objectAt(files, 'manifests/ncloud-nks/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.service).toBeUndefined();
  });

  it('nhn-nks: neither', () => {
    expect(under('manifests/nhn-nks/infrastructure')).toEqual([]);
    expect(under('clusters/nhn-nks/infrastructure')).toEqual([]);
    expect(objectAt(files, 'clusters/nhn-nks/mesh-prereqs.yaml').spec.dependsOn).toBeUndefined();
  });

  it('pools come in the stage after the one that installs MetalLB, and the mesh waits for both', () => {
    expect(objectAt(files, 'clusters/kt-k2p/infrastructure-config.yaml').spec.dependsOn).toEqual([{ name: 'meshfleet-infrastructure' }]);
    expect(objectAt(files, 'clusters/kt-k2p/mesh-prereqs.yaml').spec.dependsOn).toEqual([{ name: 'meshfleet-infrastructure-config' }]);
  });
});
