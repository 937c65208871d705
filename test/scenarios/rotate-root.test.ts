/**
 * Issue 26: the root of trust replaced in reviewed phases, for an Istio multi-primary, an Istio
 * primary-remote, a Linkerd and a Cilium fleet. Each fleet goes begin → synth → check → next →
 * synth → check → finish → synth → check in a git repository, a commit after each synth; at every
 * phase `openssl verify` checks every cluster's certificate against the bundle every peer is
 * delivered (decrypted from dist/ where it is encrypted), and after finish the old root is in no
 * bundle and its key in no file. A phase started before the previous one is committed is refused
 * with nothing changed; `diff` names the trust change per cluster and shows no secret.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { certFingerprint } from '../../lib/pki/files';
import { pemBlocks } from '../../lib/format/pem';
import { decryptObject, type Tree } from '../../lib/sops/sops';
import { editFleet, exampleText, fixture, gitCommit, hasCommand, hashTree, runMain, tempDir, withFixtureKeys } from '../helpers';

const hasOpenssl = hasCommand('openssl', ['version']);

const opKey = (): string => join(fixture().dir, 'operator.agekey');
const identities = (): string[] => [fixture().operator.identity];

/** Every parsed object of a cluster's output. */
function objectsOf(dir: string, cluster: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const f of Object.keys(hashTree(join(dir, 'dist')))) {
    if (!f.endsWith('.yaml') || !(f.startsWith(`manifests/${cluster}/`) || f.startsWith(`clusters/${cluster}/`))) continue;
    for (const d of parseAllDocuments(readFileSync(join(dir, 'dist', f), 'utf8'))) if (d.toJS()) out.push(d.toJS());
  }
  return out;
}

const valuesOf = (objs: Record<string, any>[], chart: string): Record<string, any> | undefined => {
  const hr = objs.find((o) => o.kind === 'HelmRelease' && o.spec?.chart?.spec?.chart === chart);
  if (hr) return hr.spec.values;
  const app = objs.find((o) => o.kind === 'Application' && (o.spec?.source?.chart === chart || o.spec?.sources?.some((s: any) => s.chart === chart)));
  const source = app && (app.spec.source ?? app.spec.sources.find((s: any) => s.chart === chart));
  return source?.helm?.valuesObject ?? (source?.helm?.values ? parse(source.helm.values) : undefined);
};

interface Material { bundle: string; signer: string }
type Reader = (dir: string, cluster: string) => Promise<Material>;

const secretNamed = async (objs: Record<string, any>[], name: string): Promise<Record<string, string>> => {
  const s = objs.find((o) => o.kind === 'Secret' && o.metadata?.name === name);
  if (!s) throw new Error(`no Secret ${name}`);
  return (await decryptObject(s as Tree, identities())).stringData as Record<string, string>;
};

/** What each mesh delivers: Istio's cacerts (decrypted), Linkerd's values and issuer, Cilium's bundle (or CA) and its cilium-ca copy. */
const READERS: Record<string, Reader> = {
  istio: async (dir, c) => {
    const data = await secretNamed(objectsOf(dir, c), 'cacerts');
    return { bundle: data['root-cert.pem']!, signer: data['ca-cert.pem']! };
  },
  linkerd: async (dir, c) => {
    const objs = objectsOf(dir, c);
    return { bundle: valuesOf(objs, 'linkerd-control-plane')!.identityTrustAnchorsPEM, signer: (await secretNamed(objs, 'linkerd-identity-issuer'))['tls.crt']! };
  },
  cilium: async (dir, c) => {
    const objs = objectsOf(dir, c);
    const ca = (await secretNamed(objs, 'cilium-ca'))['ca.crt']!;
    const bundle = valuesOf(objs, 'cilium')?.tls?.caBundle;
    return { bundle: bundle?.enabled ? bundle.content : ca, signer: ca };
  },
};

/** `openssl verify` of every cluster's certificate against every peer's delivered bundle. */
async function verifyAll(dir: string, clusters: string[], read: Reader): Promise<void> {
  const material = new Map<string, Material>();
  for (const c of clusters) material.set(c, await read(dir, c));
  const tmp = tempDir('rotate-verify-');
  for (const c of clusters) {
    const cert = join(tmp, `${c}.pem`);
    writeFileSync(cert, material.get(c)!.signer);
    for (const p of clusters) {
      const bundle = join(tmp, `${p}-bundle.pem`);
      writeFileSync(bundle, material.get(p)!.bundle);
      const r = spawnSync('openssl', ['verify', '-CAfile', bundle, cert], { encoding: 'utf8' });
      expect(r.status, `openssl verify ${c}'s certificate against ${p}'s bundle: ${r.stdout}${r.stderr}`).toBe(0);
    }
  }
}

const fps = (pem: string): string[] => pemBlocks(pem).map(certFingerprint);

interface Case {
  readonly name: string;
  readonly fleet: () => string;
  readonly mesh: 'istio' | 'linkerd' | 'cilium';
  readonly root: string;
  readonly rootKey: string;
}

const CASES: Case[] = [
  { name: 'Istio multi-primary', fleet: () => withFixtureKeys(exampleText('istio-two-primaries'), ['spec', 'mesh', 'istio', 'ca', 'keyType']), mesh: 'istio', root: 'root-cert.pem', rootKey: 'root-key.sops.yaml' },
  { name: 'Istio primary-remote', fleet: () => withFixtureKeys(exampleText('istio-primary-remote-argocd'), ['spec', 'mesh', 'istio', 'ca', 'keyType']), mesh: 'istio', root: 'root-cert.pem', rootKey: 'root-key.sops.yaml' },
  { name: 'Linkerd', fleet: () => withFixtureKeys(exampleText('linkerd-kpaas')), mesh: 'linkerd', root: 'trust-anchor.pem', rootKey: 'trust-anchor-key.sops.yaml' },
  { name: 'Linkerd under Argo CD', fleet: () => withFixtureKeys(exampleText('linkerd-kpaas-argocd')), mesh: 'linkerd', root: 'trust-anchor.pem', rootKey: 'trust-anchor-key.sops.yaml' },
  { name: 'Cilium ClusterMesh', fleet: () => withFixtureKeys(exampleText('cilium-clustermesh'), ['spec', 'mesh', 'cilium', 'ca', 'keyType']), mesh: 'cilium', root: 'cilium-ca.pem', rootKey: 'cilium-ca-key.sops.yaml' },
];

/** Every private key a store or output file holds, decrypted: the old root's must be in none after finish. */
async function everyKey(dir: string): Promise<string[]> {
  const keys: string[] = [];
  for (const folder of ['pki', 'dist']) {
    for (const f of Object.keys(hashTree(join(dir, folder)))) {
      if (!f.endsWith('.yaml')) continue;
      for (const d of parseAllDocuments(readFileSync(join(dir, folder, f), 'utf8'))) {
        const obj = d.toJS() as Tree | null;
        if (!obj?.sops) continue;
        const plain = await decryptObject(obj, identities());
        keys.push(...Object.values((plain.stringData ?? {}) as Record<string, string>).filter((v) => v.includes('PRIVATE KEY')));
      }
    }
  }
  return keys;
}

describe.skipIf(!hasOpenssl)('rotate-root: every phase, every mesh', () => {
  it.each(CASES)('$name: begin → next → finish, each synthesized, checked and committed; openssl verifies every chain against every peer at every phase', async ({ fleet, mesh, root, rootKey }) => {
    const dir = tempDir('meshfleet-rotate-');
    writeFileSync(join(dir, 'fleet.yaml'), fleet());
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    const env = { SOPS_AGE_KEY_FILE: opKey(), SOPS_AGE_KEY: undefined };
    const step = async (argv: string[]): Promise<string> => {
      const r = await runMain([...argv, ...args], env);
      expect(r.code, `${argv.join(' ')}: ${r.err}${r.out}`).toBe(0);
      return r.out + r.err;
    };
    await step(['synth']);
    gitCommit(dir, 'fleet');
    // An Istio remote holds no trust of its own: its proxies take their primary's.
    const clusters = (parse(readFileSync(join(dir, 'fleet.yaml'), 'utf8')) as { spec: { clusters: { name: string; primary?: string }[] } }).spec.clusters
      .filter((c) => !c.primary).map((c) => c.name);
    const oldRoot = readFileSync(join(dir, 'pki', root), 'utf8');
    const oldKey = (await decryptObject(parse(readFileSync(join(dir, 'pki', rootKey), 'utf8')) as Tree, identities())).stringData as Record<string, string>;
    const oldKeyPem = Object.values(oldKey).find((v) => v.includes('PRIVATE KEY'))!;
    await verifyAll(dir, clusters, READERS[mesh]!);

    // begin
    expect(await step(['pki', 'rotate-root', 'begin'])).toMatch(/every cluster now trusts both/);
    const newRoot = readFileSync(join(dir, 'pki', root.replace(/\.pem$/, '.next.pem')), 'utf8');
    // next before begin's output is committed: refused, nothing changed
    const before = hashTree(join(dir, 'pki'));
    const early = await runMain(['pki', 'rotate-root', 'next', ...args], env);
    expect(early.code).toBe(1);
    expect(early.err).toMatch(/not committed/);
    expect(hashTree(join(dir, 'pki'))).toEqual(before);
    // diff, before synth, says what the phase changes on each cluster
    const diff = await runMain(['diff', ...args], env);
    const short = (pem: string): string => certFingerprint(pem).replace(/:/g, '').slice(0, 8);
    for (const c of clusters) expect(diff.out).toContain(`${c} trusts {${short(oldRoot)}} → {${short(oldRoot)}, ${short(newRoot)}}`);
    expect(diff.out).not.toMatch(/PRIVATE KEY|ENC\[/);
    await step(['synth']);
    await step(['check']);
    for (const c of clusters) expect(fps((await READERS[mesh]!(dir, c)).bundle).sort()).toEqual([certFingerprint(oldRoot), certFingerprint(newRoot)].sort());
    await verifyAll(dir, clusters, READERS[mesh]!);
    // the runbook says at the top that a rotation is open, and what comes next
    expect(readFileSync(join(dir, 'dist', 'README.md'), 'utf8')).toMatch(/## Rotation in progress\n\n- \*\*The .* is being replaced\.\*\* rotation of the .*both trusted, no cluster re-issued yet/);
    gitCommit(dir, 'begin');

    // next: every cluster, one commit
    await step(['pki', 'rotate-root', 'next']);
    const reissued = await runMain(['diff', ...args], env);
    expect(reissued.code, reissued.err).toBe(1);
    for (const c of clusters) expect(reissued.out).toMatch(new RegExp(`${c}: .* re-issued`));
    expect(reissued.out).not.toMatch(/PRIVATE KEY|ENC\[/);
    await step(['synth']);
    await step(['check']);
    await verifyAll(dir, clusters, READERS[mesh]!);
    for (const c of clusters) expect(new X509Certificate((await READERS[mesh]!(dir, c)).signer).checkIssued(new X509Certificate(newRoot)) || (await READERS[mesh]!(dir, c)).signer === newRoot).toBe(true);
    gitCommit(dir, 'next');

    // finish
    expect(await step(['pki', 'rotate-root', 'finish'])).toMatch(/finished/);
    const finished = await runMain(['diff', ...args], env);
    for (const c of clusters) expect(finished.out).toContain(`${c} trusts {${short(newRoot)}, ${short(oldRoot)}} → {${short(newRoot)}}`);
    await step(['synth']);
    const checked = await runMain(['check', ...args], env);
    expect(checked.code, checked.err).toBe(0);
    expect(checked.err).toMatch(/revocation\(s\) pending/);
    await verifyAll(dir, clusters, READERS[mesh]!);
    expect(readFileSync(join(dir, 'pki', root), 'utf8')).toBe(newRoot);
    for (const c of clusters) expect(fps((await READERS[mesh]!(dir, c)).bundle)).toEqual([certFingerprint(newRoot)]);
    expect(await everyKey(dir)).not.toContain(oldKeyPem);
    expect(existsSync(join(dir, 'pki', 'root-rotation.yaml'))).toBe(false);
    expect(readFileSync(join(dir, 'dist', 'README.md'), 'utf8')).not.toContain('## Rotation in progress');
    gitCommit(dir, 'finish');
    expect(await step(['pki', 'rotate-root', 'status'])).toMatch(/no rotation open/);
  }, 120_000);
});

/** The Linkerd example synthesized and committed in a temp repository, with the operator's identity to run phases. */
async function committedLinkerd(): Promise<{ dir: string; args: string[]; env: NodeJS.ProcessEnv }> {
  const dir = tempDir('meshfleet-rotate-');
  writeFileSync(join(dir, 'fleet.yaml'), withFixtureKeys(exampleText('linkerd-kpaas')));
  const args = ['--fleet', join(dir, 'fleet.yaml')];
  expect((await runMain(['synth', ...args])).code).toBe(0);
  gitCommit(dir, 'fleet');
  return { dir, args, env: { SOPS_AGE_KEY_FILE: opKey() } };
}

describe('rotate-root refusals', () => {
  it('Cilium below 1.18 is refused with the upgrade to make first (its chart ignores the bundle for KVStoreMesh), nothing written', async () => {
    const dir = tempDir('meshfleet-rotate-');
    writeFileSync(join(dir, 'fleet.yaml'), editFleet((d) => d.setIn(['spec', 'mesh', 'cilium', 'version'], '1.17.18'), withFixtureKeys(exampleText('cilium-clustermesh'), ['spec', 'mesh', 'cilium', 'ca', 'keyType'])));
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    expect((await runMain(['synth', ...args])).code).toBe(0);
    gitCommit(dir, 'fleet');
    const before = hashTree(join(dir, 'pki'));
    const r = await runMain(['pki', 'rotate-root', 'begin', ...args], { SOPS_AGE_KEY_FILE: opKey() });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Cilium 1\.17\.18's chart ignores the CA trust bundle \(tls\.caBundle\) for KVStoreMesh's etcd client CA.*move spec\.mesh\.cilium\.version to 1\.18 or later first/);
    expect(hashTree(join(dir, 'pki'))).toEqual(before);
  });

  it('a phase whose previous one is committed but not synthesized is refused: the committed output must deliver it', async () => {
    const { dir, args, env } = await committedLinkerd();
    expect((await runMain(['pki', 'rotate-root', 'begin', ...args], env)).code).toBe(0);
    gitCommit(dir, 'begin without synth');
    const before = hashTree(join(dir, 'pki'));
    const r = await runMain(['pki', 'rotate-root', 'next', ...args], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the committed \S*dist does not deliver what \S*pki\/ records yet[\s\S]*dist makes cluster1 trust \{[0-9A-F]{8}\}, but \S*pki\/ is in the phase where it trusts \{[0-9A-F]{8}, [0-9A-F]{8}\}/);
    expect(hashTree(join(dir, 'pki'))).toEqual(before);
    // and check says the same
    const c = await runMain(['check', ...args]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/the fleet's trust does not hold together/);
  });

  it('finish before every cluster is re-issued is refused, naming them', async () => {
    const { dir, args, env } = await committedLinkerd();
    expect((await runMain(['pki', 'rotate-root', 'begin', ...args], env)).code).toBe(0);
    expect((await runMain(['synth', ...args])).code).toBe(0);
    gitCommit(dir, 'begin');
    expect((await runMain(['pki', 'rotate-root', 'next', 'cluster1', ...args], env)).code).toBe(0);
    expect((await runMain(['synth', ...args])).code).toBe(0);
    expect((await runMain(['check', ...args])).code).toBe(0);
    gitCommit(dir, 'next cluster1');
    const r = await runMain(['pki', 'rotate-root', 'finish', ...args], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cluster2 still sign with the old trust anchor: finishing now would cut them off from every peer/);
    expect((await runMain(['pki', 'rotate-root', 'status', ...args])).out).toMatch(/re-issued: cluster1; not yet: cluster2/);
  });
});
