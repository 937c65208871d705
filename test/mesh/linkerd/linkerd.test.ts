/**
 * mesh.type linkerd (seed 004): the default fleet switched to Linkerd, its CA store checked with
 * openssl, every stage built with kubectl kustomize, `npm run link` against a stub kubectl, the
 * credentials checked with the age CLI, and the SMI variant of the samples.
 */
import { X509Certificate } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { synth } from '../../../lib/cli/synth';
import { heartbeatSchedule } from '../../../lib/mesh/linkerd/control-plane';
import { FleetError } from '../../../lib/errors';
import { loadFleet, loadFleetWithModules } from '../../../lib/pipeline';
import { decryptObject, recipientsOf, type Tree } from '../../../lib/sops/sops';
import { engineOf } from '../../../lib/gitops/registry';
import { undeclaredKeys } from '../../../lib/helm/keys';
import type { KubeObject } from '../../../lib/kube';
import { editFleet, fixture, hasCommand, hashTree, hasHelm, hasKubectl, kubectlKustomize, renderObjects, runCli, tempDir } from '../../helpers';
import { CHARTS, chartInfo, crdKinds, helmTemplate, parseManifests } from '../../helm/harness';

const LINKERD = { type: 'linkerd', linkerd: { version: '2.18' } };
const CONTEXTS: Record<string, string> = { kt: 'kt-k2p', ncloud: 'ncloud-nks', nhn: 'nhn-nks' };
const token = (ctx: string): string => `stub-linkerd-token-${ctx}-0123456789abcdef`;
const CA = Buffer.from('stub CA bundle\n').toString('base64');
const hasOpenssl = hasCommand('openssl', ['version']);
const hasAge = hasCommand('age', ['--version']);

/** The fixture's default fleet (encrypted to the test identities) with only spec.mesh changed. */
const linkerdFleet = (): string => editFleet((d) => d.setIn(['spec', 'mesh'], d.createNode(LINKERD)), fixture().fleetText);

function stubKubectl(opts: { noGatewayFor?: string } = {}): { env: NodeJS.ProcessEnv; log: string } {
  const dir = tempDir('kubectl-stub-');
  const log = join(dir, 'calls.log');
  for (const ctx of Object.keys(CONTEXTS)) {
    writeFileSync(join(dir, `${ctx}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data: { token: Buffer.from(token(ctx)).toString('base64'), 'ca.crt': CA } }));
    const ingress = ctx === opts.noGatewayFor ? [] : [{ ip: `192.0.2.${100 + Object.keys(CONTEXTS).indexOf(ctx)}` }];
    writeFileSync(join(dir, `${ctx}.svc.json`), JSON.stringify({ apiVersion: 'v1', kind: 'Service', status: { loadBalancer: { ingress } } }));
  }
  writeFileSync(join(dir, 'kubectl'), `#!/usr/bin/env bash
echo "$*" >> "${log}"
ctx=""
for a in "$@"; do case "$a" in --context=*) ctx="\${a#--context=}";; esac; done
case "$*" in
  *"get secret linkerd-service-mirror-remote-access-default-token"*) cat "${dir}/$ctx.json";;
  *"get service linkerd-gateway"*) cat "${dir}/$ctx.svc.json";;
  *) echo "stub kubectl: unexpected call: $*" >&2; exit 2;;
esac
`);
  chmodSync(join(dir, 'kubectl'), 0o755);
  return { env: { PATH: `${dir}:${process.env.PATH}` }, log };
}

describe('the default fleet switched to mesh.type linkerd', () => {
  it('loads without touching any other field: one warning names the Istio-only fields', () => {
    const { warnings } = loadFleetWithModules(linkerdFleet());
    const foreign = warnings.filter((w) => w.includes('fields of other mesh types'));
    expect(foreign).toHaveLength(1);
    expect(foreign[0]).toContain('mesh type linkerd ignores spec.clusters[0].eastWestNodePort, spec.clusters[0].eastWestStatusNodePort, spec.clusters[0].network, spec.clusters[1].network, spec.clusters[2].network');
    // Cilium's settings for Istio are the add-on's own warning.
    expect(warnings.filter((w) => !w.includes('fields of other mesh types'))).toEqual([expect.stringContaining('these settings configure Cilium for Istio; mesh type linkerd ignores them')]);
    const files = renderObjects(linkerdFleet());
    expect(files.has('manifests/kt-k2p/mesh/helmrelease-linkerd-control-plane.yaml')).toBe(true);
  });

  it('refuses an unsupported version, listing the supported ones', () => {
    const text = editFleet((d) => d.setIn(['spec', 'mesh'], d.createNode({ type: 'linkerd', linkerd: { version: '2.14' } })), fixture().fleetText);
    let error: unknown;
    try { loadFleet(text); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(FleetError);
    expect((error as Error).message).toContain('spec.mesh.linkerd.version');
    expect((error as Error).message).toContain('use a Linkerd version meshfleet supports, as a quoted string: "2.18"');
  });

  it('refuses an issuer that would outlive the trust anchor, and a client on the exporter', () => {
    const text = editFleet((d) => {
      d.setIn(['spec', 'mesh'], d.createNode({ type: 'linkerd', linkerd: { ca: { anchorValidityDays: 365, issuerValidityDays: 730 } } }));
      d.setIn(['spec', 'samples', 'exporter'], 'kt-k2p');
      d.setIn(['spec', 'samples', 'client'], 'kt-k2p');
    }, fixture().fleetText);
    expect(() => loadFleet(text)).toThrow(/issuerValidityDays[\s\S]*an identity issuer must not outlive the trust anchor[\s\S]*spec.samples.client[\s\S]*must run on another cluster than the exporter/);
  });

  it('an Istio fleet accepts Linkerd\'s spec.samples fields with a warning', () => {
    const text = editFleet((d) => d.setIn(['spec', 'samples', 'split'], 'smi'), fixture().fleetText);
    expect(loadFleetWithModules(text).warnings[0]).toContain('mesh type istio ignores spec.samples.split');
  });
});

describe('a Linkerd fleet synthesized, linked and synthesized again', () => {
  let dir: string;
  let first: string;
  beforeAll(async () => {
    dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), linkerdFleet());
    first = (await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false })).message;
  }, 120_000);

  it('creates the CA store and lists the pending links', () => {
    expect(first).toContain('created the CA store');
    expect(first).toMatch(/6 link\(s\) pending \(kt-k2p→ncloud-nks, kt-k2p→nhn-nks, ncloud-nks→kt-k2p/);
  });

  it.skipIf(!hasOpenssl)('makes an ECDSA P-256 trust anchor and issuers with Linkerd\'s extensions, verified by openssl', () => {
    const text = (f: string): string => execFileSync('openssl', ['x509', '-in', join(dir, 'pki', f), '-noout', '-text'], { encoding: 'utf8' });
    const anchor = text('trust-anchor.pem');
    expect(anchor).toContain('Subject: CN = root.linkerd.cluster.local');
    expect(anchor).toMatch(/Public-Key: \(256 bit\)[\s\S]*NIST CURVE: P-256/);
    expect(anchor).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    expect(anchor).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
    expect(anchor).not.toContain('Extended Key Usage');
    for (const c of Object.values(CONTEXTS)) {
      const issuer = text(`${c}/issuer.pem`);
      expect(issuer).toContain('Subject: CN = identity.linkerd.cluster.local');
      expect(issuer).toContain('Issuer: CN = root.linkerd.cluster.local');
      expect(issuer).toMatch(/NIST CURVE: P-256/);
      expect(issuer).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
      expect(issuer).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign\n/);
      expect(/X509v3 Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(issuer)?.[1]).toBe(/X509v3 Subject Key Identifier:\s+([0-9A-F:]+)/.exec(anchor)?.[1]);
      const verify = spawnSync('openssl', ['verify', '-CAfile', join(dir, 'pki/trust-anchor.pem'), join(dir, 'pki', c, 'issuer.pem')], { encoding: 'utf8' });
      expect(verify.stdout.trim(), verify.stderr).toBe(`${join(dir, 'pki', c, 'issuer.pem')}: OK`);
    }
  });

  it('places each cluster\'s issuer Secret, encrypted to it, in the stage before the control plane', async () => {
    const fx = fixture();
    const placed = readFileSync(join(dir, 'dist/manifests/nhn-nks/mesh-prereqs/secret-linkerd-identity-issuer.yaml'), 'utf8');
    expect(placed).toBe(readFileSync(join(dir, 'pki/nhn-nks/identity-issuer.sops.yaml'), 'utf8'));
    const doc = parse(placed) as Tree;
    expect(recipientsOf(doc).sort()).toEqual([fx.clusters['nhn-nks']!.recipient, fx.operator.recipient].sort());
    await expect(decryptObject(doc, [fx.clusters['kt-k2p']!.identity])).rejects.toThrow();
    const secret = await decryptObject(doc, [fx.clusters['nhn-nks']!.identity]);
    expect(secret.type).toBe('kubernetes.io/tls');
    const data = secret.stringData as Record<string, string>;
    // The certificate's fingerprint in plaintext (MAC-covered): lets a synth without identities see that key and certificate belong together.
    expect(secret.metadata).toEqual({ name: 'linkerd-identity-issuer', namespace: 'linkerd', annotations: { 'meshfleet.io/certificate-sha256': new X509Certificate(data['tls.crt']!).fingerprint256 } });
    expect(Object.keys(data).sort()).toEqual(['ca.crt', 'tls.crt', 'tls.key']);
    expect(data['ca.crt']).toBe(readFileSync(join(dir, 'pki/trust-anchor.pem'), 'utf8'));
    expect(data['tls.crt']).toBe(readFileSync(join(dir, 'pki/nhn-nks/issuer.pem'), 'utf8'));
    const cp = parse(readFileSync(join(dir, 'dist/manifests/nhn-nks/mesh/helmrelease-linkerd-control-plane.yaml'), 'utf8'));
    expect(cp.spec.values).toEqual({ identityTrustAnchorsPEM: data['ca.crt'], identity: { issuer: { scheme: 'kubernetes.io/tls' } }, heartbeatSchedule: expect.stringMatching(/^\d{1,2} \d{1,2} \* \* \*$/) });
    expect(parse(readFileSync(join(dir, 'dist/clusters/nhn-nks/mesh.yaml'), 'utf8')).spec.dependsOn).toEqual([{ name: 'meshfleet-mesh-prereqs' }]);
  });

  it('pki status lists the anchor and every issuer', () => {
    const r = runCli(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trust-anchor\.pem\s+CN=root\.linkerd\.cluster\.local\s+ecdsa-prime256v1/);
    expect(r.stdout).toMatch(/kt-k2p\/issuer\.pem\s+CN=identity\.linkerd\.cluster\.local\s+ecdsa-prime256v1\s+\S+\s+36[45]\s+yes/);
  });

  it('link reads each context, writes Links and encrypted credentials; synth places them in mesh-config', async () => {
    const { env, log } = stubKubectl();
    const r = runCli(['link', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('linked 6 direction(s) between 3 cluster(s)');
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    for (const ctx of Object.keys(CONTEXTS)) {
      expect(calls).toContain(`--context=${ctx} --namespace=linkerd-multicluster get secret linkerd-service-mirror-remote-access-default-token --output=json`);
    }
    // kt-k2p pins its gateway; the others are read from the LoadBalancer status.
    expect(calls.filter((c) => c.includes('get service linkerd-gateway')).map((c) => c.split(' ')[0])).toEqual(['--context=ncloud', '--context=nhn']);

    const fx = fixture();
    const cred = parse(readFileSync(join(dir, 'pki/links/nhn-nks/cluster-credentials-kt-k2p.sops.yaml'), 'utf8')) as Tree;
    expect(recipientsOf(cred).sort()).toEqual([fx.clusters['nhn-nks']!.recipient, fx.operator.recipient].sort());
    await expect(decryptObject(cred, [fx.clusters['ncloud-nks']!.identity])).rejects.toThrow();
    const secret = await decryptObject(cred, [fx.clusters['nhn-nks']!.identity]);
    expect(secret.type).toBe('mirror.linkerd.io/remote-kubeconfig');
    expect(secret.metadata).toEqual({ name: 'cluster-credentials-kt-k2p', namespace: 'linkerd-multicluster' });
    const kubeconfig = parse((secret.stringData as Record<string, string>).kubeconfig!);
    expect(kubeconfig.clusters).toEqual([{ name: 'kt-k2p', cluster: { 'certificate-authority-data': CA, server: 'https://203.0.113.1:6443' } }]);
    expect(kubeconfig.users).toEqual([{ name: 'linkerd-service-mirror-remote-access-default', user: { token: token('kt') } }]);

    const { message } = await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    expect(message).not.toContain('pending');
    const link = parse(readFileSync(join(dir, 'dist/manifests/nhn-nks/mesh-config/link-kt-k2p.yaml'), 'utf8'));
    expect(link).toMatchObject({
      apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: 'kt-k2p', namespace: 'linkerd-multicluster' },
      spec: {
        targetClusterName: 'kt-k2p', clusterCredentialsSecret: 'cluster-credentials-kt-k2p', gatewayAddress: '203.0.113.10', gatewayPort: '4143',
        gatewayIdentity: 'linkerd-gateway.linkerd-multicluster.serviceaccount.identity.linkerd.cluster.local',
        probeSpec: { path: '/ready', port: '4191', period: '3s' }, selector: { matchLabels: { 'mirror.linkerd.io/exported': 'true' } },
      },
    });
    expect(parse(readFileSync(join(dir, 'dist/manifests/kt-k2p/mesh-config/link-nhn-nks.yaml'), 'utf8')).spec.gatewayAddress).toBe('192.0.2.102');
    expect(parse(readFileSync(join(dir, 'dist/clusters/nhn-nks/mesh-config.yaml'), 'utf8')).spec).toMatchObject({
      dependsOn: [{ name: 'meshfleet-mesh' }], decryption: { provider: 'sops', secretRef: { name: 'sops-age' } },
    });
    const mc = parse(readFileSync(join(dir, 'dist/manifests/nhn-nks/mesh/helmrelease-linkerd-multicluster.yaml'), 'utf8'));
    expect(mc.spec.values.controllers).toEqual([{ link: { ref: { name: 'kt-k2p' } } }, { link: { ref: { name: 'ncloud-nks' } } }]);
  }, 120_000);

  it('never writes a token or a private key in the clear', () => {
    for (const f of Object.keys(hashTree(dir))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const ctx of Object.keys(CONTEXTS)) expect(text, f).not.toContain(token(ctx));
      expect(text, f).not.toMatch(/-----BEGIN (EC )?PRIVATE KEY-----/);
    }
  });

  it.skipIf(!hasAge)('the age CLI unwraps every credentials file\'s data key for its cluster only', () => {
    const fx = fixture();
    const tmp = tempDir();
    for (const [to, key] of Object.entries(fx.clusters)) {
      writeFileSync(join(tmp, `${to}.agekey`), `${key.identity}\n`);
    }
    for (const f of Object.keys(hashTree(join(dir, 'pki/links'))).filter((p) => p.endsWith('.sops.yaml'))) {
      const to = f.split('/')[0]!;
      const doc = parse(readFileSync(join(dir, 'pki/links', f), 'utf8')) as { sops: { age: { recipient: string; enc: string }[] } };
      const stanza = doc.sops.age.find((a) => a.recipient === fx.clusters[to]!.recipient)!;
      const ok = spawnSync('age', ['--decrypt', '-i', join(tmp, `${to}.agekey`)], { input: stanza.enc });
      expect(ok.status, `${f}: ${ok.stderr}`).toBe(0);
      expect(ok.stdout.length).toBe(32);
      const other = Object.keys(fx.clusters).find((c) => c !== to)!;
      expect(spawnSync('age', ['--decrypt', '-i', join(tmp, `${other}.agekey`)], { input: stanza.enc }).status).not.toBe(0);
    }
  });

  it.skipIf(!hasKubectl)('every stage builds with kubectl kustomize', () => {
    const stages = Object.keys(hashTree(join(dir, 'dist'))).filter((p) => p.endsWith('/kustomization.yaml'));
    expect(stages.length).toBeGreaterThanOrEqual(3 * 3);
    for (const k of stages) {
      const built = parseAllDocuments(kubectlKustomize(join(dir, 'dist', k, '..'))).map((d) => d.toJS());
      expect(built.length, k).toBeGreaterThan(0);
    }
  });
});

describe('Linkerd samples', () => {
  const withSplit = (split?: string): string => editFleet((d) => {
    d.setIn(['spec', 'mesh'], d.createNode(LINKERD));
    if (split) d.setIn(['spec', 'samples', 'split'], split);
  }, fixture().fleetText);

  it('places helloworld v1 (exported) on the first cluster, v2, curl and an HTTPRoute split on the second', () => {
    const files = renderObjects(withSplit());
    expect(files.get('manifests/kt-k2p/apps/service-helloworld.yaml')![0]!.metadata.labels).toEqual({ app: 'helloworld', service: 'helloworld', 'mirror.linkerd.io/exported': 'true' });
    expect(files.has('manifests/kt-k2p/apps/deployment-helloworld-v1.yaml')).toBe(true);
    expect(files.get('manifests/ncloud-nks/apps/namespace-sample.yaml')![0]!.metadata.annotations).toEqual({ 'linkerd.io/inject': 'enabled' });
    expect(files.has('manifests/ncloud-nks/apps/deployment-helloworld-v2.yaml')).toBe(true);
    expect(files.has('manifests/ncloud-nks/apps/deployment-curl.yaml')).toBe(true);
    expect(files.get('manifests/ncloud-nks/apps/httproute-helloworld-split.yaml')![0]!.spec).toEqual({
      parentRefs: [{ name: 'helloworld', kind: 'Service', group: 'core', port: 5000 }],
      rules: [{ backendRefs: [{ name: 'helloworld', port: 5000, weight: 50 }, { name: 'helloworld-kt-k2p', port: 5000, weight: 50 }] }],
    });
    expect([...files.keys()].some((p) => p.startsWith('manifests/nhn-nks/apps/'))).toBe(false);
    expect([...files.keys()].some((p) => p.includes('linkerd-smi'))).toBe(false);
  });

  it('split: smi installs linkerd-smi and emits the seed\'s TrafficSplit exactly', () => {
    const files = renderObjects(withSplit('smi'));
    expect(files.get('manifests/ncloud-nks/apps/trafficsplit-helloworld.yaml')![0]).toEqual({
      apiVersion: 'split.smi-spec.io/v1alpha1',
      kind: 'TrafficSplit',
      metadata: { name: 'helloworld', namespace: 'sample' },
      spec: { service: 'helloworld', backends: [{ service: 'helloworld', weight: 50 }, { service: 'helloworld-kt-k2p', weight: 50 }] },
    });
    const smi = files.get('manifests/ncloud-nks/mesh/helmrelease-linkerd-smi.yaml')![0]!;
    expect(smi.spec.chart.spec).toMatchObject({ chart: 'linkerd-smi', version: '1.0.4' });
    expect(smi.spec.dependsOn).toEqual([{ name: 'linkerd-control-plane', namespace: 'linkerd' }]);
    expect(files.has('manifests/ncloud-nks/apps/httproute-helloworld-split.yaml')).toBe(false);
  });

  it('placement is settable in spec.samples', () => {
    const text = editFleet((d) => {
      d.setIn(['spec', 'mesh'], d.createNode(LINKERD));
      d.setIn(['spec', 'samples', 'exporter'], 'nhn-nks');
      d.setIn(['spec', 'samples', 'client'], 'kt-k2p');
    }, fixture().fleetText);
    const files = renderObjects(text);
    expect(files.has('manifests/nhn-nks/apps/deployment-helloworld-v1.yaml')).toBe(true);
    expect(files.get('manifests/kt-k2p/apps/httproute-helloworld-split.yaml')![0]!.spec.rules[0].backendRefs[1].name).toBe('helloworld-nhn-nks');
  });
});

describe('the Linkerd CA store lifecycle (pki issue, rotate, rekey, status)', () => {
  it('rotates an issuer under the same trust anchor, refuses issue for an issued cluster, and rekeys', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), linkerdFleet());
    await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    const fleet = join(dir, 'fleet.yaml');
    const env = { SOPS_AGE_KEY_FILE: join(fixture().dir, 'operator.agekey') };
    const before = readFileSync(join(dir, 'pki/ncloud-nks/issuer.pem'), 'utf8');
    const anchor = readFileSync(join(dir, 'pki/trust-anchor.pem'), 'utf8');

    const issue = runCli(['pki', 'issue', 'ncloud-nks', '--fleet', fleet], env);
    expect([issue.status, issue.stderr.trim()]).toEqual([1, 'error: cluster ncloud-nks already has an identity issuer; use `npm run pki -- rotate ncloud-nks` to replace it\n\nNothing was written.']);

    const rotate = runCli(['pki', 'rotate', 'ncloud-nks', '--fleet', fleet], env);
    expect(rotate.status, rotate.stderr).toBe(0);
    expect(rotate.stdout).toContain('rotated the identity issuer of ncloud-nks');
    const after = readFileSync(join(dir, 'pki/ncloud-nks/issuer.pem'), 'utf8');
    expect(after).not.toBe(before);
    expect(readFileSync(join(dir, 'pki/trust-anchor.pem'), 'utf8')).toBe(anchor);
    const status = runCli(['pki', 'status', '--fleet', fleet]);
    expect(status.status, status.stdout + status.stderr).toBe(0);
    expect(status.stdout).not.toContain('NO');

    // Nothing to do while the recipients are fleet.yaml's; a second operator gets every file.
    const noop = runCli(['pki', 'rekey', '--fleet', fleet], env);
    expect([noop.status, noop.stdout]).toEqual([0, expect.stringContaining('nothing to re-encrypt')]);
    writeFileSync(fleet, editFleet((d) => d.setIn(['spec', 'secrets', 'operators'], d.createNode([fixture().operator.recipient, fixture().extra.recipient])), linkerdFleet()));
    const rekey = runCli(['pki', 'rekey', '--fleet', fleet], env);
    expect(rekey.status, rekey.stderr).toBe(0);
    expect(rekey.stdout).toMatch(/re-encrypted 4 file\(s\)/);
    const secret = await decryptObject(parse(readFileSync(join(dir, 'pki/ncloud-nks/identity-issuer.sops.yaml'), 'utf8')) as Tree, [fixture().clusters['ncloud-nks']!.identity]);
    expect((secret.stringData as Record<string, string>)['tls.crt']).toBe(after);
  }, 120_000);
});

describe.skipIf(!hasHelm || !existsSync(CHARTS))('the Link CRD comes with linkerd-multicluster, a stage before the Links', () => {
  it('helm renders the Link CRD (v1alpha3 served) from the release in `mesh`', async () => {
    const files = renderObjects(linkerdFleet());
    const release = files.get('manifests/kt-k2p/mesh/helmrelease-linkerd-multicluster.yaml')![0]!;
    const ref = engineOf('flux').releaseOf(release as KubeObject, [])!;
    const result = await helmTemplate(ref, join(CHARTS, `${ref.chart}-${ref.version}`));
    expect(result.code, result.stderr).toBe(0);
    expect(crdKinds(parseManifests(result.stdout))).toContain('multicluster.linkerd.io/v1alpha3/Link');
  });
});

describe.skipIf(!hasHelm || !existsSync(CHARTS))('linkerd-smi (split: smi) rendered by Helm against the published chart', () => {
  it('renders the SMI adaptor and the TrafficSplit CRD, with no undeclared value keys', async () => {
    const text = editFleet((d) => {
      d.setIn(['spec', 'mesh'], d.createNode(LINKERD));
      d.setIn(['spec', 'samples', 'split'], 'smi');
    }, fixture().fleetText);
    const release = renderObjects(text).get('manifests/ncloud-nks/mesh/helmrelease-linkerd-smi.yaml')![0]!;
    const ref = engineOf('flux').releaseOf(release as KubeObject, [])!;
    const dir = join(CHARTS, `${ref.chart}-${ref.version}`);
    const result = await helmTemplate(ref, dir);
    expect(result.code, result.stderr).toBe(0);
    const objs = parseManifests(result.stdout);
    expect(crdKinds(objs)).toContain('split.smi-spec.io/v1alpha1/TrafficSplit');
    expect(objs.some((o) => o.kind === 'Deployment' && o.metadata?.name === 'smi-adaptor')).toBe(true);
    const chart = chartInfo(dir);
    expect(undeclaredKeys({ values: ref.values, defaults: chart.defaults, schema: chart.schema })).toEqual([]);
  });
});

describe('an identity issuer never outlives its trust anchor', () => {
  it('cuts the issuer at the anchor\'s expiry', async () => {
    const { createSigningCa } = await import('../../../lib/pki/certs');
    const { X509Certificate } = await import('node:crypto');
    const now = new Date('2026-01-01T00:00:00Z');
    const anchor = await createSigningCa({ commonName: 'root.linkerd.cluster.local', pathLen: 1, days: 40, now });
    const anchorEnd = new Date(new X509Certificate(anchor.certPem).validTo);
    const issuer = await createSigningCa({ commonName: 'identity.linkerd.cluster.local', pathLen: 0, days: 365, issuer: anchor, now, notAfterCap: anchorEnd });
    const cert = new X509Certificate(issuer.certPem);
    expect(new Date(cert.validTo)).toEqual(anchorEnd);
    expect(cert.checkIssued(new X509Certificate(anchor.certPem))).toBe(true);
  });
});

describe('the heartbeat CronJob', () => {
  it('has a schedule fixed per cluster: unset, the chart takes the clock at render time, which Argo CD would see as drift on every refresh', () => {
    expect(heartbeatSchedule('cluster1')).toBe(heartbeatSchedule('cluster1'));
    expect(heartbeatSchedule('cluster1')).not.toBe(heartbeatSchedule('cluster2'));
    expect(heartbeatSchedule('cluster1')).toMatch(/^([0-5]?\d) (1?\d|2[0-3]) \* \* \*$/);
  });
});
