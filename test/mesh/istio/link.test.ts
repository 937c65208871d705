/**
 * `npm run link` against a stub kubectl first on PATH: it serves fixture tokens per context and
 * records the calls it was given.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { synth } from '../../../lib/cli/synth';
import { decryptObject, recipientsOf, type Tree } from '../../../lib/sops/sops';
import { editFleet, fixture, fixtureDir, hashTree, runCli, tempDir } from '../../helpers';

const CONTEXTS: Record<string, string> = { kt: 'kt-k2p', ncloud: 'ncloud-nks', nhn: 'nhn-nks' };
const token = (ctx: string): string => `stub-token-for-${ctx}-0123456789abcdef`;
const CA = Buffer.from('stub CA bundle\n').toString('base64');

function stubKubectl(opts: { unreachable?: string; tokenless?: string } = {}): { env: NodeJS.ProcessEnv; log: string } {
  const dir = tempDir('kubectl-stub-');
  const log = join(dir, 'calls.log');
  for (const ctx of Object.keys(CONTEXTS)) {
    const data = ctx === opts.tokenless ? { namespace: Buffer.from('istio-system').toString('base64') } : { token: Buffer.from(token(ctx)).toString('base64'), 'ca.crt': CA };
    writeFileSync(join(dir, `${ctx}.json`), JSON.stringify({ apiVersion: 'v1', kind: 'Secret', data }));
    writeFileSync(join(dir, `${ctx}.server`), `https://${ctx}.internal:6443`);
    if (ctx === opts.unreachable) writeFileSync(join(dir, `${ctx}.unreachable`), '');
  }
  writeFileSync(join(dir, 'kubectl'), `#!/usr/bin/env bash
echo "$*" >> "${log}"
ctx=""
for a in "$@"; do case "$a" in --context=*) ctx="\${a#--context=}";; esac; done
if [ -f "${dir}/$ctx.unreachable" ]; then echo "Unable to connect to the server: dial tcp: i/o timeout" >&2; exit 1; fi
case "$*" in
  *"config view"*) cat "${dir}/$ctx.server";;
  *"get secret istio-reader-service-account-istio-remote-secret-token"*) cat "${dir}/$ctx.json";;
  *) echo "stub kubectl: unexpected call: $*" >&2; exit 2;;
esac
`);
  chmodSync(join(dir, 'kubectl'), 0o755);
  return { env: { PATH: `${dir}:${process.env.PATH}` }, log };
}

describe('npm run link', () => {
  it('reads every context, writes encrypted remote secrets, and synth places them in the other clusters', async () => {
    const dir = fixtureDir();
    const { env, log } = stubKubectl();
    const r = runCli(['link', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('linked 3 cluster(s)');
    expect(r.stdout).toContain("note: kt-k2p's kubeconfig server is https://kt.internal:6443");
    const calls = readFileSync(log, 'utf8').trim().split('\n');
    for (const ctx of Object.keys(CONTEXTS)) {
      expect(calls).toContain(`--context=${ctx} --namespace=istio-system get secret istio-reader-service-account-istio-remote-secret-token --output=json`);
      expect(calls).toContain(`--context=${ctx} config view --minify --output=jsonpath={.clusters[0].cluster.server}`);
    }
    expect(calls.length).toBe(6);

    const file = parse(readFileSync(join(dir, 'pki/links/kt-k2p.sops.yaml'), 'utf8')) as Tree;
    const fx = fixture();
    expect(recipientsOf(file).sort()).toEqual([fx.clusters['ncloud-nks']!.recipient, fx.clusters['nhn-nks']!.recipient, fx.operator.recipient].sort());
    await expect(decryptObject(file, [fx.clusters['kt-k2p']!.identity])).rejects.toThrow();
    const secret = await decryptObject(file, [fx.clusters['nhn-nks']!.identity]);
    expect(secret.metadata).toEqual({
      name: 'istio-remote-secret-kt-k2p', namespace: 'istio-system',
      labels: { 'istio/multiCluster': 'true' }, annotations: { 'networking.istio.io/cluster': 'kt-k2p' },
    });
    const kubeconfig = parse((secret.stringData as Record<string, string>)['kt-k2p']!);
    expect(kubeconfig.clusters).toEqual([{ name: 'kt-k2p', cluster: { 'certificate-authority-data': CA, server: 'https://203.0.113.1:6443' } }]);
    expect(kubeconfig.users).toEqual([{ name: 'kt-k2p', user: { token: token('kt') } }]);
    expect(kubeconfig['current-context']).toBe('kt-k2p');

    const { message } = await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    expect(message).not.toContain('pending');
    const placed = Object.keys(hashTree(join(dir, 'dist'))).filter((f) => f.includes('secret-istio-remote-secret-')).sort();
    expect(placed).toEqual([
      'manifests/kt-k2p/mesh-config/secret-istio-remote-secret-ncloud-nks.yaml',
      'manifests/kt-k2p/mesh-config/secret-istio-remote-secret-nhn-nks.yaml',
      'manifests/ncloud-nks/mesh-config/secret-istio-remote-secret-kt-k2p.yaml',
      'manifests/ncloud-nks/mesh-config/secret-istio-remote-secret-nhn-nks.yaml',
      'manifests/nhn-nks/mesh-config/secret-istio-remote-secret-kt-k2p.yaml',
      'manifests/nhn-nks/mesh-config/secret-istio-remote-secret-ncloud-nks.yaml',
    ]);
    expect(readFileSync(join(dir, 'dist/manifests/nhn-nks/mesh-config/secret-istio-remote-secret-kt-k2p.yaml'), 'utf8')).toBe(readFileSync(join(dir, 'pki/links/kt-k2p.sops.yaml'), 'utf8'));
    const stage = parse(readFileSync(join(dir, 'dist/clusters/nhn-nks/mesh-config.yaml'), 'utf8'));
    expect(stage.spec.decryption).toEqual({ provider: 'sops', secretRef: { name: 'sops-age' } });
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain('Every istiod has the remote secrets of all the other clusters.');
  });

  it('before linking, every cluster still gets the reader token Secret and synth lists the pending links', async () => {
    const dir = fixtureDir();
    const { message } = await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    expect(message).toContain('6 link(s) pending');
    const tokenSecret = parse(readFileSync(join(dir, 'dist/manifests/kt-k2p/mesh-config/secret-istio-reader-service-account-istio-remote-secret-token.yaml'), 'utf8'));
    expect(tokenSecret).toEqual({
      apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/service-account-token',
      metadata: { name: 'istio-reader-service-account-istio-remote-secret-token', namespace: 'istio-system', annotations: { 'kubernetes.io/service-account.name': 'istio-reader-service-account' } },
    });
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain('6 of 6 links are pending');
  });

  it('an unreachable context is a clear error and nothing is written', () => {
    const dir = fixtureDir();
    const before = hashTree(dir);
    const { env } = stubKubectl({ unreachable: 'nhn' });
    const r = runCli(['link', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nhn-nks (context nhn): Unable to connect to the server');
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(join(dir, 'pki/links'))).toBe(false);
    expect(hashTree(dir)).toEqual(before);
  });

  it('a token the controller has not filled yet says what to wait for', () => {
    const dir = fixtureDir();
    const { env } = stubKubectl({ tokenless: 'ncloud' });
    const r = runCli(['link', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ncloud-nks (context ncloud): istio-system/istio-reader-service-account-istio-remote-secret-token has no token yet');
  });

  it('primary-remote: only the watched clusters are read, and only the primary gets remote secrets', async () => {
    const fx = fixture();
    const text = editFleet((d) => {
      d.setIn(['spec', 'mesh', 'istio', 'model'], 'primary-remote');
      for (const i of [1, 2]) {
        d.setIn(['spec', 'clusters', i, 'role'], 'remote');
        d.setIn(['spec', 'clusters', i, 'primary'], 'kt-k2p');
      }
    }, fx.fleetText);
    const dir = fixtureDir(text);
    const { env, log } = stubKubectl();
    const r = runCli(['link', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('linked 2 cluster(s)');
    // The lone primary's own token is read by no istiod, so its context is not asked.
    expect(readFileSync(log, 'utf8')).not.toContain('--context=kt ');
    expect(existsSync(join(dir, 'pki/links/kt-k2p.sops.yaml'))).toBe(false);
    const file = parse(readFileSync(join(dir, 'pki/links/nhn-nks.sops.yaml'), 'utf8')) as Tree;
    expect(recipientsOf(file).sort()).toEqual([fx.clusters['kt-k2p']!.recipient, fx.operator.recipient].sort());
    await expect(decryptObject(file, [fx.clusters['ncloud-nks']!.identity])).rejects.toThrow();

    const { message } = await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
    expect(message).not.toContain('pending');
    const placed = Object.keys(hashTree(join(dir, 'dist'))).filter((f) => f.includes('secret-istio-remote-secret-')).sort();
    expect(placed).toEqual([
      'manifests/kt-k2p/mesh-config/secret-istio-remote-secret-ncloud-nks.yaml',
      'manifests/kt-k2p/mesh-config/secret-istio-remote-secret-nhn-nks.yaml',
    ]);
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain('Every primary\'s istiod has the remote secrets of all the other clusters.');
  });
});
