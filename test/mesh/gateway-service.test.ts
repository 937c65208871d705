/**
 * The mesh gateway's Service as the pinned charts render it (real `helm template`): a LoadBalancer
 * where something assigns addresses, a NodePort where nothing does (gateway.serviceType), for the
 * Istio east-west gateway and the Linkerd gateway.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleetWithModules } from '../../lib/pipeline';
import { editFleet, hasHelm, objectAt, renderObjects, ROOT } from '../helpers';
import { CHARTS } from '../helm/harness';
import { problemsOf, renderedServices } from './gateway';

export const ALL_OPTIONS = readFileSync(join(ROOT, 'examples', 'istio-all-options.yaml'), 'utf8');
export const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');

describe.skipIf(!hasHelm || !existsSync(CHARTS))('gateway.serviceType, rendered by the pinned charts', () => {
  it('Istio: the plain cluster (no LoadBalancer implementation, a NAT in front) gets a NodePort east-west Service; the others LoadBalancer', async () => {
    const files = renderObjects(ALL_OPTIONS);
    const plain = await renderedServices(files, 'manifests/plain/mesh/helmrelease-istio-eastwestgateway.yaml');
    expect(plain.map((s) => [s.metadata!.name, (s.spec as { type: string }).type])).toEqual([['istio-eastwestgateway', 'NodePort']]);
    const l2 = await renderedServices(files, 'manifests/onprem-l2/mesh/helmrelease-istio-eastwestgateway.yaml');
    expect((l2[0]!.spec as { type: string }).type).toBe('LoadBalancer');
    expect(objectAt(files, 'istioctl/plain.yaml').spec.components.ingressGateways[1].k8s.service.type).toBe('NodePort');
  });

  it('Linkerd: a NodePort linkerd-gateway where the fleet says so', async () => {
    const text = editFleet((d) => {
      d.deleteIn(['spec', 'clusters', 1, 'metallb']);
      d.deleteIn(['spec', 'clusters', 1, 'gateway', 'serviceAddress']);
      d.setIn(['spec', 'clusters', 1, 'gateway', 'serviceType'], 'NodePort');
    }, LINKERD);
    const files = renderObjects(text);
    const node = await renderedServices(files, 'manifests/cluster2/mesh/helmrelease-linkerd-multicluster.yaml');
    expect(node.find((s) => s.metadata!.name === 'linkerd-gateway')!.spec).toMatchObject({ type: 'NodePort' });
    const lb = await renderedServices(files, 'manifests/cluster1/mesh/helmrelease-linkerd-multicluster.yaml');
    expect(lb.find((s) => s.metadata!.name === 'linkerd-gateway')!.spec).toMatchObject({ type: 'LoadBalancer' });
  });
});

describe('gateway.serviceType rules', () => {
  it('NodePort needs the address peers dial', () => {
    const text = editFleet((d) => d.deleteIn(['spec', 'clusters', 3, 'gateway', 'address']), ALL_OPTIONS);
    expect(problemsOf(text)).toMatch(/spec\.clusters\[3\]\.gateway\.serviceType[\s\S]*gateway\.address is required/);
  });

  it('NodePort with a metallb block is refused (MetalLB serves LoadBalancer Services only)', () => {
    const text = editFleet((d) => d.setIn(['spec', 'clusters', 0, 'gateway', 'serviceType'], 'NodePort'), ALL_OPTIONS);
    expect(problemsOf(text)).toMatch(/spec\.clusters\[0\]\.gateway\.serviceType[\s\S]*LoadBalancer Services only/);
  });

  it('a pinned address nothing assigns, under LoadBalancer, warns that Helm would wait forever and names NodePort', () => {
    const text = editFleet((d) => d.deleteIn(['spec', 'clusters', 3, 'gateway', 'serviceType']), ALL_OPTIONS);
    expect(loadFleetWithModules(text).warnings.join('\n')).toMatch(/spec\.clusters\[3\]\.gateway\.address: .*Helm waits for one forever.*gateway\.serviceType: NodePort/);
    expect(loadFleetWithModules(ALL_OPTIONS).warnings.join('\n')).not.toMatch(/spec\.clusters\[3\]\.gateway\.address/);
  });
});
