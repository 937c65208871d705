/** Seed 000 §6–7 add-ons as GitOps: MetalLB, metrics-server, and Cilium settings for Istio. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ciliumConfig, restartJobName } from '../../lib/addons/cilium-istio';
import { loadBalancerIPsAnnotation } from '../../lib/addons/metallb';
import { SchemaValidator } from '../../lib/render/validate';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects } from '../helpers';

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
    expect(objectAt(files, 'clusters/kt-k2p/infrastructure-config.yaml').spec.dependsOn).toEqual([{ name: 'infrastructure' }]);
    expect(objectAt(files, 'clusters/kt-k2p/mesh-prereqs.yaml').spec.dependsOn).toEqual([{ name: 'infrastructure-config' }]);
  });
});

describe('Cilium settings', () => {
  const patch = objectAt(files, 'manifests/ncloud-nks/infrastructure/configmap-cilium-config.yaml');

  it('the patch carries the annotations that make Flux merge and never prune it', () => {
    expect(patch.metadata.annotations).toEqual({ 'kustomize.toolkit.fluxcd.io/ssa': 'Merge', 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' });
    expect(patch.data).toEqual({ 'bpf-lb-sock-hostns-only': 'true', 'cni-exclusive': 'false', 'enable-l7-proxy': 'false' });
  });

  it('the restart Job name changes when, and only when, a patched value changes', () => {
    const jobName = (text: string): string => [...renderObjects(text).keys()]
      .find((p) => p.startsWith('manifests/ncloud-nks/infrastructure-config/job-'))!;
    const base = jobName(DEFAULT_FLEET);
    // unrelated edits: same Job
    expect(jobName(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'network'], 'net-b')))).toBe(base);
    expect(jobName(editFleet((d) => d.setIn(['spec', 'gitops', 'interval'], '1h')))).toBe(base);
    // a patched value: new Job
    expect(jobName(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'cilium', 'disableL7Proxy'], false)))).not.toBe(base);
    expect(restartJobName({ a: '1', b: '2' })).toBe(restartJobName({ b: '2', a: '1' }));
    expect(restartJobName(ciliumConfig({ managed: true, disableL7Proxy: true }))).not.toBe(restartJobName(ciliumConfig({ managed: true, disableL7Proxy: false })));
  });

  it('keeps the L7 proxy on when the fleet says so', () => {
    const on = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'cilium', 'disableL7Proxy'], false)));
    expect(objectAt(on, 'manifests/ncloud-nks/infrastructure/configmap-cilium-config.yaml').data['enable-l7-proxy']).toBe('true');
  });

  it('the restart runs with the least RBAC it needs', () => {
    const role = objectAt(files, 'manifests/ncloud-nks/infrastructure-config/role-meshfleet-cilium-restart.yaml');
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['cilium'], verbs: ['get', 'patch'] }]);
    const job = objectAt(files, 'manifests/ncloud-nks/infrastructure-config/job-meshfleet-cilium-restart-ddb0560a27.yaml');
    expect(job.spec.template.spec.containers[0].args).toEqual(['rollout', 'restart', 'daemonset/cilium', '--namespace=kube-system']);
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
  });

  it('self-managed Cilium gets the settings as Helm values that pass the Cilium chart schema', () => {
    const own = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'cilium', 'managed'], false)));
    expect([...own.keys()].filter((p) => p.startsWith('manifests/ncloud-nks/infrastructure'))).toEqual([
      'manifests/ncloud-nks/infrastructure/configmap-cilium-istio-values.yaml',
      'manifests/ncloud-nks/infrastructure/kustomization.yaml',
    ]);
    const cm = objectAt(own, 'manifests/ncloud-nks/infrastructure/configmap-cilium-istio-values.yaml');
    expect(parse(cm.data['values.yaml'])).toEqual({ socketLB: { hostNamespaceOnly: true }, cni: { exclusive: false }, l7Proxy: false, rollOutCiliumPods: true });
    const validator = new SchemaValidator();
    expect(validator.validate(cm as never)).toEqual([]);
    const bad = structuredClone(cm);
    bad.data['values.yaml'] = 'l7Proxy: "no"\n';
    expect(validator.validate(bad as never).join('\n')).toMatch(/chart cilium\/cilium/);
  });
});

describe('MetalLB', () => {
  it('announces with an L2Advertisement only when the fleet asks', () => {
    expect(files.has('manifests/kt-k2p/infrastructure-config/l2advertisement-istio-eastwest.yaml')).toBe(false);
    const l2 = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metallb', 'announce'], 'l2')));
    expect(objectAt(l2, 'manifests/kt-k2p/infrastructure-config/l2advertisement-istio-eastwest.yaml').spec).toEqual({ ipAddressPools: ['istio-eastwest'] });
  });

  it('pins with the annotation of the installed version', () => {
    expect(loadBalancerIPsAnnotation('0.14.8')).toBe('metallb.universe.tf/loadBalancerIPs');
    expect(loadBalancerIPsAnnotation('0.14.9')).toBe('metallb.io/loadBalancerIPs');
    expect(loadBalancerIPsAnnotation('0.15.2')).toBe('metallb.io/loadBalancerIPs');
    const old = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.14.8')));
    expect(objectAt(old, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.service.annotations)
      .toEqual({ 'metallb.universe.tf/loadBalancerIPs': '203.0.113.10' });
  });

  it('install: false keeps the pool and drops the chart', () => {
    const existing = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false)));
    const infra = [...existing.keys()].filter((p) => p.startsWith('manifests/kt-k2p/infrastructure/'));
    expect(infra.some((p) => p.includes('metallb'))).toBe(false);
    expect(existing.has('manifests/kt-k2p/infrastructure-config/ipaddresspool-istio-eastwest.yaml')).toBe(true);
  });

  it('chart values are validated against the chart schema merged with its defaults', () => {
    const validator = new SchemaValidator();
    const release = objectAt(files, 'manifests/kt-k2p/infrastructure/helmrelease-metallb.yaml');
    expect(validator.validate(release as never)).toEqual([]);
    const bad = structuredClone(release);
    bad.spec.values = { speaker: { enabled: 'yes' } };
    expect(validator.validate(bad as never).join('\n')).toMatch(/chart metallb\/metallb/);
  });
});

describe('metrics-server', () => {
  it('adds --kubelet-insecure-tls only when asked, and the extra args after it', () => {
    const secure = renderObjects(editFleet((d) => {
      d.setIn(['spec', 'clusters', 0, 'metricsServer', 'kubeletInsecureTLS'], false);
    }));
    expect(objectAt(secure, 'manifests/kt-k2p/infrastructure/helmrelease-metrics-server.yaml').spec.values).toBeUndefined();
    const extra = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metricsServer', 'args'], d.createNode(['--metric-resolution=30s']))));
    expect(objectAt(extra, 'manifests/kt-k2p/infrastructure/helmrelease-metrics-server.yaml').spec.values.args).toEqual(['--kubelet-insecure-tls', '--metric-resolution=30s']);
  });
});
