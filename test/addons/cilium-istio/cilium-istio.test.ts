/** Cilium settings for Istio: the merge patch and its restart Job, or Helm values. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ciliumConfig, restartJobName } from '../../../lib/addons/cilium-istio';
import { outputValidator } from '../../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects } from '../../helpers';

const files = renderObjects(DEFAULT_FLEET);

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

  it('the restart runs with the least RBAC it needs, then waits for the rollout and fails visibly if it does not finish', () => {
    const role = objectAt(files, 'manifests/ncloud-nks/infrastructure-config/role-meshfleet-cilium-restart.yaml');
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['cilium'], verbs: ['get', 'list', 'patch', 'watch'] }]);
    const job = objectAt(files, 'manifests/ncloud-nks/infrastructure-config/job-meshfleet-cilium-restart-ddb0560a27.yaml');
    const pod = job.spec.template.spec;
    expect(pod.initContainers.map((c: { args: string[] }) => c.args)).toEqual([['rollout', 'restart', 'daemonset/cilium', '--namespace=kube-system']]);
    expect(pod.containers.map((c: { args: string[] }) => c.args)).toEqual([['rollout', 'status', 'daemonset/cilium', '--namespace=kube-system', '--timeout=600s']]);
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 900 });
    expect(job.spec.ttlSecondsAfterFinished).toBeUndefined();
    // Flux waits for the Job longer than the rollout may take.
    const stage = objectAt(files, 'clusters/ncloud-nks/infrastructure-config.yaml');
    expect(stage.spec).toMatchObject({ wait: true, timeout: '15m' });
  });

  it('self-managed Cilium gets the settings as Helm values that pass the Cilium chart schema', () => {
    const own = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'cilium', 'managed'], false)));
    expect([...own.keys()].filter((p) => p.startsWith('manifests/ncloud-nks/infrastructure'))).toEqual([
      'manifests/ncloud-nks/infrastructure/configmap-cilium-istio-values.yaml',
      'manifests/ncloud-nks/infrastructure/kustomization.yaml',
    ]);
    const cm = objectAt(own, 'manifests/ncloud-nks/infrastructure/configmap-cilium-istio-values.yaml');
    expect(parse(cm.data['values.yaml'])).toEqual({ socketLB: { hostNamespaceOnly: true }, cni: { exclusive: false }, l7Proxy: false, rollOutCiliumPods: true });
    const validator = outputValidator();
    expect(validator.validate(cm as never)).toEqual([]);
    const bad = structuredClone(cm);
    bad.data['values.yaml'] = 'l7Proxy: "no"\n';
    expect(validator.validate(bad as never).join('\n')).toMatch(/chart cilium 1\.19\.6/);
  });
});
