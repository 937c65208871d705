/** Settings that would silently do nothing are said: the fleet renders, with a warning naming the field. */
import { describe, expect, it } from 'vitest';
import { loadFleetWithModules } from '../../lib/pipeline';
import { DEFAULT_FLEET, editFleet } from '../helpers';

describe('warnings', () => {
  it('the default fleet has none', () => {
    expect(loadFleetWithModules(DEFAULT_FLEET).warnings).toEqual([]);
  });

  it('a pinned gateway address that nothing in the cluster assigns', () => {
    const text = editFleet((d) => d.setIn(['spec', 'clusters', 2, 'gateway'], d.createNode({ address: '192.0.2.10' })));
    expect(loadFleetWithModules(text).warnings).toEqual([
      expect.stringMatching(/^fleet.yaml:\d+:\d+ {2}spec.clusters\[2\].gateway.address: is announced to the other clusters, but nothing in nhn-nks assigns it to the gateway's LoadBalancer Service: .*gateway.serviceType: NodePort/),
    ]);
  });

  it('none for an address MetalLB assigns', () => {
    const text = editFleet((d) => d.setIn(['spec', 'clusters', 2, 'metallb'], d.createNode({ addresses: ['192.0.2.10/32'] })), editFleet((d) => d.setIn(['spec', 'clusters', 2, 'gateway'], d.createNode({ address: '192.0.2.10' }))));
    expect(loadFleetWithModules(text).warnings).toEqual([]);
  });
});
