/**
 * What differs between the Istio releases meshfleet installs (issue 24): 1.30's networkGatewayPorts
 * (renumbering the cross-network port is followed, the istiod ports and NodePorts are not the
 * chart's to change) and 1.30's enableReaderRBAC (the remote secrets' identity stays).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, editFleet, objectAt, refused, renderObjects } from '../../helpers';


const withPorts = (ports: Record<string, unknown>, version = '1.30.3'): string => editFleet((d) => {
  d.setIn(['spec', 'mesh', 'istio', 'version'], version);
  d.setIn(['spec', 'clusters', 0, 'overrides'], d.createNode({ 'istio-eastwestgateway': { networkGatewayPorts: ports } }));
}, DEFAULT_FLEET);

describe('networkGatewayPorts (Istio 1.30)', () => {
  it('a renumbered tls port is what every istiod is told in meshNetworks, and what the NodePort Service serves', () => {
    const files = renderObjects(withPorts({ tls: { port: 443 } }));
    for (const name of ['kt-k2p', 'ncloud-nks', 'nhn-nks']) {
      expect(objectAt(files, `manifests/${name}/mesh/helmrelease-istiod.yaml`).spec.values.global.meshNetworks.network1.gateways).toEqual([{ address: '203.0.113.10', port: 443 }]);
    }
    const nodePort = objectAt(files, 'manifests/kt-k2p/mesh-config/service-istio-eastwestgateway-nodeport.yaml');
    expect(nodePort.spec.ports.find((p: { name: string }) => p.name === 'tls')).toMatchObject({ port: 443, targetPort: 15443, nodePort: 30043 });
  });

  it('is refused before 1.30, and for the istiod ports, targetPorts and NodePorts, each with its fix', () => {
    expect(refused(withPorts({ tls: { port: 443 } }, '1.29.6')).problems).toEqual([expect.objectContaining({
      path: 'spec.clusters[0].overrides.istio-eastwestgateway.networkGatewayPorts', rule: expect.stringMatching(/only from Istio 1\.30; 1\.29\.6 hard-codes/),
    })]);
    const e = refused(withPorts({ 'tls-istiod': { port: 12012 }, tls: { targetPort: 443, nodePort: 30443 }, 'tls-webhook': { port: 15017 } }));
    expect(e.problems.map((p) => [p.path, p.fix])).toEqual([
      ['spec.clusters[0].overrides.istio-eastwestgateway.networkGatewayPorts.tls-istiod.port', 'keep tls-istiod on 15012: remove port'],
      ['spec.clusters[0].overrides.istio-eastwestgateway.networkGatewayPorts.tls.targetPort', expect.stringMatching(/renumber only port/)],
      ['spec.clusters[0].overrides.istio-eastwestgateway.networkGatewayPorts.tls.nodePort', expect.stringMatching(/set spec\.clusters\[\]\.eastWestNodePort/)],
    ]);
  });
});

describe('enableReaderRBAC (Istio 1.30)', () => {
  it('off is refused: every primary\'s remote secret for the cluster authenticates as the reader account', () => {
    const e = refused(editFleet((d) => d.setIn(['spec', 'overrides'], d.createNode({ 'istio-base': { global: { enableReaderRBAC: false } } })), DEFAULT_FLEET));
    expect(e.problems).toEqual([expect.objectContaining({ path: 'spec.overrides.istio-base.global.enableReaderRBAC', rule: expect.stringMatching(/istio-reader-service-account/) })]);
  });
});
