/** MetalLB: chart, pool, L2 announcement and the annotation that pins the gateway address. */
import { describe, expect, it } from 'vitest';
import { loadBalancerIPsAnnotation } from '../../../lib/addons/metallb';
import { outputValidator } from '../../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects } from '../../helpers';

const files = renderObjects(DEFAULT_FLEET);

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

  it('install: false keeps the pool and drops the chart; existingPool drops the pool too, and the release decides the annotation', () => {
    const running = (d: Parameters<Parameters<typeof editFleet>[0]>[0]): void => {
      d.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false);
      d.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.13.9');
    };
    const existing = renderObjects(editFleet(running));
    const infra = [...existing.keys()].filter((p) => p.startsWith('manifests/kt-k2p/infrastructure/'));
    expect(infra.some((p) => p.includes('metallb'))).toBe(false);
    expect(existing.has('manifests/kt-k2p/infrastructure-config/ipaddresspool-istio-eastwest.yaml')).toBe(true);
    expect(objectAt(existing, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.service.annotations)
      .toEqual({ 'metallb.universe.tf/loadBalancerIPs': '203.0.113.10' });
    const reused = renderObjects(editFleet((d) => { running(d);
      d.setIn(['spec', 'clusters', 0, 'metallb', 'existingPool'], 'primary');
      for (const f of ['autoAssign', 'avoidBuggyIPs', 'announce']) d.deleteIn(['spec', 'clusters', 0, 'metallb', f]);
    }));
    expect([...reused.keys()].filter((p) => p.startsWith('manifests/kt-k2p/infrastructure-config/'))).toEqual([]);
    expect(objectAt(reused, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.service.annotations)
      .toEqual({ 'metallb.universe.tf/loadBalancerIPs': '203.0.113.10' });
  });

  it('chart values are validated against the chart schema merged with its defaults', () => {
    const validator = outputValidator();
    const release = objectAt(files, 'manifests/kt-k2p/infrastructure/helmrelease-metallb.yaml');
    expect(validator.validate(release as never)).toEqual([]);
    const bad = structuredClone(release);
    bad.spec.values = { speaker: { enabled: 'yes' } };
    expect(validator.validate(bad as never).join('\n')).toMatch(/chart metallb \d+\.\d+\.\d+/);
  });
});
