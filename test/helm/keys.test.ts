/** lib/helm/keys.ts on small hand-made charts: what counts as declared, free-form and undeclared. */
import { describe, expect, it } from 'vitest';
import { chartDefaults, undeclaredKeys } from '../../lib/helm/keys';

const defaults = {
  global: { meshID: '', proxy: { resources: { requests: { cpu: '10m' } } } },
  service: { annotations: {}, ports: [{ name: 'http', port: 80 }] },
  args: [],
  tolerations: [],
  name: null,
};

describe('undeclaredKeys', () => {
  it('accepts keys declared in the defaults, at any depth and inside list items', () => {
    expect(undeclaredKeys({ values: { global: { meshID: 'm' }, service: { ports: [{ name: 'x', port: 1 }] }, args: ['--a'], name: 'n' }, defaults })).toEqual([]);
  });

  it('reports a misspelt key with its full path, once, without descending', () => {
    expect(undeclaredKeys({ values: { global: { meshId: 'm', proxy: { resourcez: { a: 1 } } } }, defaults }))
      .toEqual(['global.meshId', 'global.proxy.resourcez']);
    expect(undeclaredKeys({ values: { service: { ports: [{ name: 'x', prot: 1 }] } }, defaults })).toEqual(['service.ports[0].prot']);
  });

  it('accepts anything below a free-form path, and nothing below an unlisted empty map or list', () => {
    const values = { service: { annotations: { 'metallb.io/loadBalancerIPs': '1.2.3.4' } }, tolerations: [{ key: 'k', operator: 'Exists' }] };
    expect(undeclaredKeys({ values, defaults })).toEqual(['service.annotations["metallb.io/loadBalancerIPs"]', 'tolerations[0].key', 'tolerations[0].operator']);
    expect(undeclaredKeys({ values, defaults, freeForm: ['*.annotations', 'tolerations[]'] })).toEqual([]);
  });

  it('accepts keys the chart reads but only documents in a comment, when listed', () => {
    const values = { global: { proxy: { tracer: { zipkin: { address: 'z' } } } } };
    expect(undeclaredKeys({ values, defaults })).toEqual(['global.proxy.tracer']);
    expect(undeclaredKeys({ values, defaults, alsoDeclared: ['global.proxy.tracer.zipkin.address'] })).toEqual([]);
    expect(undeclaredKeys({ values: { global: { proxy: { tracer: { zipkn: {} } } } }, defaults, alsoDeclared: ['global.proxy.tracer.zipkin.address'] }))
      .toEqual(['global.proxy.tracer.zipkn']);
  });

  it('takes declarations from values.schema.json: properties, $ref, typed maps', () => {
    const schema = {
      $defs: { values: { type: 'object', properties: { extra: { type: 'object', properties: { on: { type: 'boolean' } } }, labels: { type: 'object', additionalProperties: { type: 'string' } } } } },
      $ref: '#/$defs/values',
    };
    expect(undeclaredKeys({ values: { extra: { on: true }, labels: { a: 'b' } }, defaults: {}, schema })).toEqual([]);
    expect(undeclaredKeys({ values: { extra: { of: true } }, defaults: {}, schema })).toEqual(['extra.of']);
  });
});

describe('chartDefaults', () => {
  it("folds Istio's _internal_defaults_do_not_set into the top level and places subcharts under their names", () => {
    expect(chartDefaults({ _internal_defaults_do_not_set: { global: { a: 1 } }, global: { b: 2 } }, { 'frr-k8s': { x: 1 } }))
      .toEqual({ global: { a: 1, b: 2 }, 'frr-k8s': { x: 1 } });
  });
});
