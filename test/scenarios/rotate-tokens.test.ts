/**
 * Issue 26, item 4: the link credentials rotate as two reviewed commits. Istio: a second reader
 * token Secret beside the first (`pki rotate-tokens begin`), `npm run link` with it (against a stub
 * kubectl that serves a new token for it), then the first removed (`finish`); on Istio 1.30.x the
 * link step names the istiod restart istio/istio#61043 needs. Linkerd: the second remote-access
 * token is meshfleet's, beside the chart's; finish says how to retire the chart's.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { decryptObject, type Tree } from '../../lib/sops/sops';
import { editFleet, exampleText, fixture, fixtureDir, gitCommit, hashTree, runMain, tempDir, withFixtureKeys } from '../helpers';

const CONTEXTS = ['kt', 'ncloud', 'nhn'];
const TOKEN = 'istio-reader-service-account-istio-remote-secret-token';
const token = (ctx: string, g: number): string => `stub-token-${g}-for-${ctx}-0123456789abcdef`;

/** A kubectl first on PATH serving each context's reader token of generation 1 and 2. */
function stubKubectl(): NodeJS.ProcessEnv {
  const dir = tempDir('kubectl-stub-');
  for (const ctx of CONTEXTS) {
    for (const g of [1, 2]) {
      writeFileSync(join(dir, `${ctx}-${g}.json`), JSON.stringify({ kind: 'Secret', data: { token: Buffer.from(token(ctx, g)).toString('base64'), 'ca.crt': Buffer.from('stub CA\n').toString('base64') } }));
    }
  }
  writeFileSync(join(dir, 'kubectl'), `#!/usr/bin/env bash
ctx=""
for a in "$@"; do case "$a" in --context=*) ctx="\${a#--context=}";; esac; done
case "$*" in
  *"config view"*) echo "https://$ctx.internal:6443";;
  *"get secret ${TOKEN}-2 "*) cat "${dir}/$ctx-2.json";;
  *"get secret ${TOKEN} "*) cat "${dir}/$ctx-1.json";;
  *) echo "stub kubectl: unexpected call: $*" >&2; exit 2;;
esac
`);
  chmodSync(join(dir, 'kubectl'), 0o755);
  return { PATH: `${dir}:${process.env.PATH}`, KUBECTL: undefined };
}

/** The reader token Secrets of a cluster's output. */
const tokenSecrets = (dir: string, cluster: string): string[] => Object.keys(hashTree(join(dir, 'dist', 'manifests', cluster, 'mesh-config')))
  .filter((f) => f.startsWith('secret-') && readFileSync(join(dir, 'dist', 'manifests', cluster, 'mesh-config', f), 'utf8').includes('kubernetes.io/service-account-token'))
  .map((f) => (parse(readFileSync(join(dir, 'dist', 'manifests', cluster, 'mesh-config', f), 'utf8')) as { metadata: { name: string } }).metadata.name).sort();

describe('rotate-tokens (Istio)', () => {
  it('begin → synth → link → synth → finish → synth, each committed: the links move to the second token, then the first leaves the output', async () => {
    const dir = fixtureDir();
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    const run = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> => runMain([...argv, ...args], env);
    const ok = async (argv: string[], env: NodeJS.ProcessEnv = {}): Promise<string> => {
      const r = await run(argv, env);
      expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(0);
      return r.out + r.err;
    };
    const kubectl = stubKubectl();
    await ok(['link'], kubectl);
    await ok(['synth']);
    gitCommit(dir);
    expect(tokenSecrets(dir, 'kt-k2p')).toEqual([TOKEN]);

    expect(await ok(['pki', 'rotate-tokens', 'begin'])).toMatch(/a second token Secret \(generation 2\)/);
    // a second begin, or a finish before the links use the new token, is refused
    const before = hashTree(join(dir, 'pki'));
    expect((await run(['pki', 'rotate-tokens', 'finish'])).err).toMatch(/not committed/);
    expect(hashTree(join(dir, 'pki'))).toEqual(before);
    await ok(['synth']);
    gitCommit(dir);
    for (const c of ['kt-k2p', 'ncloud-nks', 'nhn-nks']) expect(tokenSecrets(dir, c)).toEqual([TOKEN, `${TOKEN}-2`]);
    expect(readFileSync(join(dir, 'dist', 'README.md'), 'utf8')).toContain('- **The reader tokens are rotating.** rotating the reader tokens: generation 1 → 2; the links use generation 1.');
    const early = await run(['pki', 'rotate-tokens', 'finish']);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/the links still use the reader tokens of generation 1: removing them now would cut every link/);

    const linked = await ok(['link'], kubectl);
    expect(linked).toContain(`with the tokens of ${TOKEN}-2`);
    // the fleet runs Istio 1.30.3: the istiod restart istio/istio#61043 needs is part of the step
    expect(linked).toMatch(/Istio 1\.30\.3 drops a remote cluster's endpoints when its remote secret changes, until istiod restarts \(istio\/istio#61043\)/);
    expect(linked).toContain('`kubectl --context=kt --namespace=istio-system rollout restart deployment -l app=istiod`');
    const remote = await decryptObject(parse(readFileSync(join(dir, 'pki/links/kt-k2p.sops.yaml'), 'utf8')) as Tree, [fixture().operator.identity]);
    expect(JSON.stringify(remote)).toContain(token('kt', 2));
    expect(JSON.stringify(remote)).not.toContain(token('kt', 1));
    await ok(['synth']);
    gitCommit(dir);

    expect(await ok(['pki', 'rotate-tokens', 'finish'])).toMatch(/the links use generation 2/);
    await ok(['synth']);
    for (const c of ['kt-k2p', 'ncloud-nks', 'nhn-nks']) expect(tokenSecrets(dir, c)).toEqual([`${TOKEN}-2`]);
    await ok(['check']);
    gitCommit(dir);
    expect(await ok(['pki', 'rotate-tokens', 'status'])).toMatch(/the links use the reader tokens of generation 2; no rotation open/);
  }, 60_000);

  it('on a release without the known issue, link names no restart', async () => {
    const dir = fixtureDir(editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'version'], '1.29.6'), fixture().fleetText));
    const r = await runMain(['link', '--fleet', join(dir, 'fleet.yaml')], stubKubectl());
    expect(r.code, r.err).toBe(0);
    expect(r.out).not.toContain('61043');
  });
});

describe('rotate-tokens (Linkerd)', () => {
  const fleetText = (): string => withFixtureKeys(exampleText('linkerd-kpaas'));

  it('begin delivers meshfleet\'s second remote-access token beside the chart\'s, in mesh-config', async () => {
    const dir = tempDir('meshfleet-tokens-');
    writeFileSync(join(dir, 'fleet.yaml'), fleetText());
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    expect((await runMain(['synth', ...args])).code).toBe(0);
    gitCommit(dir);
    const begun = await runMain(['pki', 'rotate-tokens', 'begin', ...args]);
    expect(begun.code, begun.err).toBe(0);
    expect((await runMain(['synth', ...args])).code).toBe(0);
    const clusters = (parse(readFileSync(join(dir, 'fleet.yaml'), 'utf8')) as { spec: { clusters: { name: string }[] } }).spec.clusters.map((c) => c.name);
    for (const c of clusters) {
      const file = join(dir, 'dist', 'manifests', c, 'mesh-config', 'secret-linkerd-service-mirror-remote-access-default-token-2.yaml');
      expect(existsSync(file), file).toBe(true);
      expect(parse(readFileSync(file, 'utf8'))).toMatchObject({
        type: 'kubernetes.io/service-account-token',
        metadata: { namespace: 'linkerd-multicluster', annotations: { 'kubernetes.io/service-account.name': 'linkerd-service-mirror-remote-access-default' } },
      });
    }
    expect((await runMain(['check', ...args])).code).toBe(0);
  });
});
