/**
 * gateway.serviceAddress (issue 20 item 3): the address the gateway's Service asks MetalLB for,
 * beside gateway.address, the one peers dial through a floating IP or NAT (seed 004 §3.5); and
 * MetalLB pools that repeat across clusters on different networks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, editFleet, hasHelm, objectAt, renderObjects, ROOT } from '../helpers';
import { CHARTS } from '../helm/harness';
import { problemsOf, renderedServices } from './gateway';

const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');

const CILIUM = readFileSync(join(ROOT, 'examples', 'cilium-clustermesh.yaml'), 'utf8');
const NO_MESH = readFileSync(join(ROOT, 'examples', 'no-mesh.yaml'), 'utf8');
const SKIP = !hasHelm ? 'helm is not installed' : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;



/** kt-k2p's Service asks MetalLB for a private address; the others dial a floating IP in front of it. */
const FLOATING = editFleet((d) => {
  d.setIn(['spec', 'clusters', 0, 'gateway', 'address'], '192.0.2.10');
  d.setIn(['spec', 'clusters', 0, 'gateway', 'serviceAddress'], '203.0.113.10');
});

describe('gateway.serviceAddress', () => {
  it('Linkerd (seed 004): the Service asks for the private address, two isolated clusters reuse one private pool, dist/README says what to forward', () => {
    expect(problemsOf(LINKERD)).toBe('');
    const files = renderObjects(LINKERD);
    for (const cluster of ['cluster1', 'cluster2']) {
      const mc = objectAt(files, `manifests/${cluster}/mesh/helmrelease-linkerd-multicluster.yaml`);
      // MetalLB 0.13.9 runs there: the legacy annotation prefix; the cluster's own pool holds the address.
      expect(mc.spec.values.gateway.serviceAnnotations, cluster).toEqual({ 'metallb.universe.tf/loadBalancerIPs': '10.0.0.240' });
      expect([...files.keys()].some((p) => p.startsWith(`manifests/${cluster}/infrastructure-config/`)), cluster).toBe(false);
    }
    // The golden is what synth writes (test/golden.test.ts).
    const text = readFileSync(join(ROOT, 'test', 'golden', 'linkerd-kpaas', 'dist', 'README.md'), 'utf8');
    expect(text).toContain('## Forward the gateway addresses');
    expect(text).toContain('| cluster1 | `203.0.113.50` | `10.0.0.240` |');
    expect(text).toMatch(/iptables -t nat -A PREROUTING -d <dialled address> -j DNAT --to-destination <service address>/);
    // The default fleet dials what its Services get: no such section.
    expect(readFileSync(join(ROOT, 'test', 'golden', 'istio-argocd', 'dist', 'README.md'), 'utf8')).not.toContain('Forward the gateway addresses');
  });

  it('pools may repeat only across networks: refused on one Istio network, and under Cilium (one routed network)', () => {
    const sameNetwork = editFleet((d) => {
      d.setIn(['spec', 'clusters', 2, 'network'], 'network1');
      d.setIn(['spec', 'clusters', 2, 'metallb'], d.createNode({ addresses: ['203.0.113.10/32'] }));
    });
    expect(problemsOf(sameNetwork)).toMatch(/spec\.clusters\[2\]\.metallb\.addresses\[0\][\s\S]*kt-k2p and nhn-nks are on one network/);
    const otherNetwork = editFleet((d) => {
      d.setIn(['spec', 'clusters', 2, 'metallb'], d.createNode({ addresses: ['203.0.113.10/32'] }));
      d.setIn(['spec', 'clusters', 2, 'gateway'], d.createNode({ address: '192.0.2.30', serviceAddress: '203.0.113.10' }));
    }, FLOATING);
    expect(problemsOf(otherNetwork)).toBe('');
    // An address the others dial must still lie outside every other cluster's pool.
    const dialledInPool = editFleet((d) => d.setIn(['spec', 'clusters', 0, 'gateway', 'address'], '203.0.113.10'), otherNetwork);
    expect(problemsOf(dialledInPool)).toMatch(/spec\.clusters\[0\]\.gateway\.address[\s\S]*lies inside nhn-nks's MetalLB pool/);
    const cilium = editFleet((d) => {
      for (const i of [0, 1]) d.setIn(['spec', 'clusters', i, 'metallb'], d.createNode({ addresses: ['10.0.0.240-10.0.0.250'] }));
    }, CILIUM);
    expect(problemsOf(cilium)).toMatch(/are on one network/);
  });

  it('Istio: meshNetworks carries the dialled address; the Service asks for the private one and carries no network label istiod would announce', () => {
    const files = renderObjects(FLOATING);
    const gw = objectAt(files, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values;
    expect(gw.networkGateway).toBeUndefined();
    expect(gw.env).toEqual({ ISTIO_META_REQUESTED_NETWORK_VIEW: 'network1' });
    expect(gw.service.annotations).toEqual({ 'metallb.io/loadBalancerIPs': '203.0.113.10' });
    expect(gw.service.ports.map((p: { port: number }) => p.port)).toEqual([15021, 15443, 15012, 15017]);
    const istiod = objectAt(files, 'manifests/ncloud-nks/mesh/helmrelease-istiod.yaml').spec.values;
    expect(istiod.global.meshNetworks.network1.gateways).toEqual([{ address: '192.0.2.10', port: 15443 }]);
    // Where the two are one, the chart's networkGateway as before.
    const same = objectAt(renderObjects(DEFAULT_FLEET), 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values;
    expect(same.networkGateway).toBe('network1');
  });

  it.skipIf(SKIP !== undefined)(`Istio: the gateway chart renders that Service with the network gateway's four ports and no topology.istio.io/network label${SKIP ? ` — SKIPPED: ${SKIP}` : ''}`, async () => {
    const services = await renderedServices(renderObjects(FLOATING), 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml');
    const svc = services.find((s) => s.metadata!.name === 'istio-eastwestgateway')!;
    expect(svc.metadata!.labels).not.toHaveProperty('topology.istio.io/network');
    expect((svc.spec as { ports: { name: string; port: number }[] }).ports.map((p) => `${p.name}:${p.port}`)).toEqual(['status-port:15021', 'tls:15443', 'tls-istiod:15012', 'tls-webhook:15017']);
    const plain = await renderedServices(renderObjects(DEFAULT_FLEET), 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml');
    expect(plain.find((s) => s.metadata!.name === 'istio-eastwestgateway')!.metadata!.labels).toHaveProperty('topology.istio.io/network', 'network1');
  });
});

describe('the MetalLB pool is named after the gateway it serves (issue 20 item 8)', () => {
  it('istio-eastwest under Istio, linkerd-gateway under Linkerd, meshfleet where the mesh runs no gateway', () => {
    expect(renderObjects(DEFAULT_FLEET).has('manifests/kt-k2p/infrastructure-config/ipaddresspool-istio-eastwest.yaml')).toBe(true);
    const linkerd = renderObjects(readFileSync(join(ROOT, 'examples', 'linkerd-kpaas-argocd.yaml'), 'utf8'));
    expect(objectAt(linkerd, 'manifests/cluster1/infrastructure-config/l2advertisement-linkerd-gateway.yaml').spec).toEqual({ ipAddressPools: ['linkerd-gateway'] });
    const none = [...renderObjects(NO_MESH).keys()].filter((p) => p.includes('/infrastructure-config/'));
    expect(none.some((p) => p.endsWith('ipaddresspool-meshfleet.yaml'))).toBe(true);
    expect(none.some((p) => p.includes('istio'))).toBe(false);
  });
});
