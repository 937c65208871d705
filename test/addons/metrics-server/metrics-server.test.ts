/** metrics-server: the chart and its flags. */
import { describe, expect, it } from 'vitest';
import { editFleet, objectAt, renderObjects } from '../../helpers';

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
