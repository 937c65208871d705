/** Istio multi-primary on different networks, as rendered for seed 000's fleet. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects } from '../../helpers';

const files = renderObjects(DEFAULT_FLEET);
const clusters = [
  { name: 'kt-k2p', network: 'network1' },
  { name: 'ncloud-nks', network: 'network2' },
  { name: 'nhn-nks', network: 'network3' },
];

describe.each(clusters)('cluster $name', ({ name, network }) => {
  const istiod = objectAt(files, `manifests/${name}/mesh/helmrelease-istiod.yaml`);
  const iop = objectAt(files, `istioctl/${name}.yaml`);

  it('labels istio-system with its network, in the stage before istiod', () => {
    const ns = objectAt(files, `manifests/${name}/mesh-prereqs/namespace-istio-system.yaml`);
    expect(ns.metadata.labels).toEqual({ 'topology.istio.io/network': network });
  });

  it('gives istiod the mesh ID, cluster name and network', () => {
    expect(istiod.spec.values.global).toMatchObject({ meshID: 'mesh1', multiCluster: { clusterName: name }, network });
    expect(istiod.spec.chart.spec).toMatchObject({ chart: 'istiod', version: '1.30.3' });
  });

  it('the IstioOperator and the Helm values agree on meshID, clusterName and network', () => {
    const helm = istiod.spec.values.global;
    const op = iop.spec.values.global;
    expect([op.meshID, op.multiCluster.clusterName, op.network]).toEqual([helm.meshID, helm.multiCluster.clusterName, helm.network]);
    expect(op.meshNetworks).toEqual(helm.meshNetworks);
    const eastwest = iop.spec.components.ingressGateways.find((g: { name: string }) => g.name === 'istio-eastwestgateway');
    expect(eastwest.label['topology.istio.io/network']).toBe(network);
    expect(eastwest.k8s.env).toEqual([{ name: 'ISTIO_META_REQUESTED_NETWORK_VIEW', value: network }]);
  });

  it('chains istio-base → istiod → istio-eastwestgateway', () => {
    const gw = objectAt(files, `manifests/${name}/mesh/helmrelease-istio-eastwestgateway.yaml`);
    expect(objectAt(files, `manifests/${name}/mesh/helmrelease-istio-base.yaml`).spec.dependsOn).toBeUndefined();
    expect(istiod.spec.dependsOn).toEqual([{ name: 'istio-base' }]);
    expect(gw.spec.dependsOn).toEqual([{ name: 'istiod' }]);
    expect(gw.spec.values).toMatchObject({ name: 'istio-eastwestgateway', networkGateway: network });
  });

  it('exposes *.local on 15443 with AUTO_PASSTHROUGH, after the CRDs exist', () => {
    const gw = objectAt(files, `manifests/${name}/mesh-config/gateway-cross-network-gateway.yaml`);
    expect(gw.apiVersion).toBe('networking.istio.io/v1');
    expect(gw.spec).toEqual({
      selector: { istio: 'eastwestgateway' },
      servers: [{ port: { number: 15443, name: 'tls', protocol: 'TLS' }, tls: { mode: 'AUTO_PASSTHROUGH' }, hosts: ['*.local'] }],
    });
    const stage = objectAt(files, `clusters/${name}/mesh-config.yaml`);
    expect(stage.spec.dependsOn).toEqual([{ name: 'meshfleet-mesh' }]);
  });
});

describe('pinned gateway addresses', () => {
  it('every istiod learns the pinned network through meshNetworks; unpinned ones are discovered', () => {
    for (const { name } of clusters) {
      expect(objectAt(files, `manifests/${name}/mesh/helmrelease-istiod.yaml`).spec.values.global.meshNetworks).toEqual({
        network1: { endpoints: [{ fromRegistry: 'kt-k2p' }], gateways: [{ address: '203.0.113.10', port: 15443 }] },
      });
    }
  });

  it('without any pinned address there is no meshNetworks at all', () => {
    const unpinned = renderObjects(editFleet((doc) => doc.deleteIn(['spec', 'clusters', 0, 'gateway'])));
    expect(objectAt(unpinned, 'manifests/kt-k2p/mesh/helmrelease-istiod.yaml').spec.values.global.meshNetworks).toBeUndefined();
  });
});

describe('traps from the seed guide', () => {
  const everything = JSON.stringify([...files.values()]);
  it('emits no ROUTER_MODE (obsolete since Istio 1.11) and no spec.loadBalancerIP (deprecated in Kubernetes 1.24)', () => {
    expect(everything).not.toContain('ROUTER_MODE');
    expect(everything).not.toMatch(/"loadBalancerIP":/);
    expect(everything).toContain('"metallb.io/loadBalancerIPs":');
  });

  it('installs with Helm through Flux, not the removed in-cluster operator', () => {
    const kinds = new Set([...files.entries()].filter(([p]) => p.startsWith('manifests/')).flatMap(([, objs]) => objs.map((o) => o.kind)));
    expect(kinds.has('IstioOperator')).toBe(false);
    expect(kinds.has('HelmRelease')).toBe(true);
  });
});

describe('eastWestNodePort', () => {
  const pinned = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 2, 'eastWestNodePort'], 31443)));

  it('adds a NodePort Service on that port that selects the east-west gateway pods', () => {
    const svc = objectAt(pinned, 'manifests/nhn-nks/mesh-config/service-istio-eastwestgateway-nodeport.yaml');
    expect(svc.spec).toEqual({
      type: 'NodePort',
      selector: { istio: 'eastwestgateway' },
      ports: [{ name: 'tls', port: 15443, targetPort: 15443, nodePort: 31443, protocol: 'TCP' }],
    });
    expect(pinned.has('manifests/ncloud-nks/mesh-config/service-istio-eastwestgateway-nodeport.yaml')).toBe(false);
  });

  it('with eastWestStatusNodePort, the status port 15021 (the load balancer\'s health check) is fixed on the same Service; the default fleet pins both for kt-k2p', () => {
    const both = renderObjects(editFleet((d) => { d.setIn(['spec', 'clusters', 2, 'eastWestNodePort'], 30043); d.setIn(['spec', 'clusters', 2, 'eastWestStatusNodePort'], 30021); }));
    expect(objectAt(both, 'manifests/nhn-nks/mesh-config/service-istio-eastwestgateway-nodeport.yaml').spec.ports).toEqual([
      { name: 'status-port', port: 15021, targetPort: 15021, nodePort: 30021, protocol: 'TCP' },
      { name: 'tls', port: 15443, targetPort: 15443, nodePort: 30043, protocol: 'TCP' },
    ]);
    const kt = objectAt(renderObjects(DEFAULT_FLEET), 'manifests/kt-k2p/mesh-config/service-istio-eastwestgateway-nodeport.yaml');
    expect(kt.spec.ports.map((p: { port: number; nodePort: number }) => [p.port, p.nodePort])).toEqual([[15021, 30021], [15443, 30043]]);
    expect(() => renderObjects(editFleet((d) => { d.setIn(['spec', 'clusters', 2, 'eastWestNodePort'], 30043); d.setIn(['spec', 'clusters', 2, 'eastWestStatusNodePort'], 30043); })))
      .toThrow(/spec.clusters\[2\].eastWestStatusNodePort[\s\S]*is eastWestNodePort too/);
  });

  it('must be a NodePort', () => {
    expect(() => renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 2, 'eastWestNodePort'], 15443)))).toThrow(/spec.clusters\[2\].eastWestNodePort[\s\S]*NodePort from 30000 to 32767/);
  });
});
