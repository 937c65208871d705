/**
 * Removal and key changes for every mesh type with a CA store, in process: Linkerd's links (the
 * credentials a removed cluster held), Cilium's shared CA, an operator replaced, `pki rekey`
 * recording what the old key could read, mistyped keys refused.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../lib/cli/main';
import { loadFleet } from '../../lib/pipeline';
import { clusterRecipients, CREDENTIAL_NAMESPACES, CREDENTIALS_HEADER, credentialsPath, LINK_FILE_HEADER, linkFilePath } from '../../lib/mesh/linkerd/ca';
import { linkerdClustersOf } from '../../lib/mesh/linkerd/revoke';
import { istioClustersOf } from '../../lib/mesh/istio/revoke';
import { encryptedFile } from '../../lib/pki/files';
import { toYaml } from '../../lib/format/yaml';
import { recipientProblem, shortKey } from '../../lib/format/recipients';
import { decryptObject, recipientsOf, type Tree } from '../../lib/sops/sops';
import { editFleet, fixture, fixtureDir, hashTree, ROOT, tempDir } from '../helpers';
import { fixtureExample as ciliumExample, withThird } from '../mesh/cilium/fleet';

const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');

/** Runs the CLI in process; `identity` sets SOPS_AGE_KEY_FILE for the run. */
async function cli(args: string[], identity?: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const before = process.env.SOPS_AGE_KEY_FILE;
  delete process.env.SOPS_AGE_KEY;
  if (identity) process.env.SOPS_AGE_KEY_FILE = identity;
  else delete process.env.SOPS_AGE_KEY_FILE;
  try {
    const code = await main(args, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    if (before === undefined) delete process.env.SOPS_AGE_KEY_FILE;
    else process.env.SOPS_AGE_KEY_FILE = before;
  }
}

function keyFile(identity: string): string {
  const path = join(tempDir('age-id-'), 'key.agekey');
  writeFileSync(path, `${identity}\n`);
  return path;
}

function gitCommit(dir: string): string {
  const g = (...a: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { cwd: dir, encoding: 'utf8' });
  if (!existsSync(join(dir, '.git'))) g('init', '-q');
  g('add', '-A');
  g('commit', '-q', '-m', 'step');
  return g('rev-parse', '--short', 'HEAD').trim();
}

/** The default fleet synthesized and committed in a temp repo, then fleet.yaml with `from` replaced by the spare key. */
async function committedThenReplaced(from: (fx: ReturnType<typeof fixture>) => string): Promise<{ fx: ReturnType<typeof fixture>; dir: string; args: string[] }> {
  const fx = fixture();
  const dir = fixtureDir();
  const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
  expect((await cli(args)).code).toBe(0);
  gitCommit(dir);
  writeFileSync(join(dir, 'fleet.yaml'), fx.fleetText.replace(from(fx), fx.extra.recipient));
  return { fx, dir, args };
}

describe('clustersOf: which clusters a store path belongs to', () => {
  it('reads Istio and Linkerd paths, hyphenated names included', () => {
    expect(istioClustersOf('root-key.sops.yaml')).toEqual([]);
    expect(istioClustersOf('nhn-nks/cacerts.sops.yaml')).toEqual(['nhn-nks']);
    expect(istioClustersOf('links/kt-k2p.sops.yaml')).toEqual(['kt-k2p']);
    expect(istioClustersOf('revocations.yaml')).toEqual([]);
    expect(linkerdClustersOf('links/cluster-a/link-cluster-b.yaml')).toEqual(['cluster-a', 'cluster-b']);
    expect(linkerdClustersOf('links/cluster-a/cluster-credentials-cluster-b.linkerd.sops.yaml')).toEqual(['cluster-a', 'cluster-b']);
    expect(linkerdClustersOf('links/cluster-a/cluster-credentials-cluster-b.sops.yaml')).toEqual(['cluster-a', 'cluster-b']);
    expect(linkerdClustersOf('trust-anchor.pem')).toEqual([]);
  });
});

describe('age recipients are checked before anything is encrypted to them', () => {
  it('refuses a key with a broken checksum, naming the field', async () => {
    const good = fixture().extra.recipient;
    expect(recipientProblem(good)).toBeUndefined();
    const typo = `${good.slice(0, 20)}${good[20] === 'q' ? 'p' : 'q'}${good.slice(21)}`;
    expect(recipientProblem(typo)).toBe('has a wrong checksum (a character was mistyped or lost when it was copied)');
    const dir = fixtureDir(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'ageRecipient'], typo), fixture().fleetText));
    const before = hashTree(dir);
    const r = await cli(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`spec.clusters[1].ageRecipient\n    value: "${typo}"\n    rule:  has a wrong checksum (a character was mistyped or lost when it was copied)\n` +
      '    fix:   copy the public key again from `age-keygen -y <identity file>` (it starts with age1)');
    expect(r.err).not.toContain('unexpected failure');
    expect(hashTree(dir)).toEqual(before);
  });
});

describe('Linkerd: a removed cluster\'s links go, and the tokens it held are on the checklist', () => {
  it('removes its issuer and every link to or from it without an identity, and records the peers\' tokens', async () => {
    const fx = fixture();
    const three = editFleet((d) => {
      d.setIn(['spec', 'secrets', 'operators'], d.createNode([fx.operator.recipient]));
      d.setIn(['spec', 'clusters', 0, 'ageRecipient'], fx.clusters['kt-k2p']!.recipient);
      d.setIn(['spec', 'clusters', 1, 'ageRecipient'], fx.clusters['ncloud-nks']!.recipient);
      d.addIn(['spec', 'clusters'], d.createNode({
        name: 'cluster3', context: 'cluster3', apiServer: 'https://192.0.2.1:6443', ageRecipient: fx.extra.recipient, cni: 'calico', gateway: { address: '192.0.2.50' },
      }));
    }, LINKERD);
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), three);
    const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    expect((await cli(args)).code).toBe(0);
    // Links as `npm run link` writes them, for every ordered pair.
    const fleet = loadFleet(three);
    for (const to of fleet.clusters) {
      for (const from of fleet.clusters.filter((c) => c !== to)) {
        mkdirSync(join(dir, 'pki', 'links', to.name), { recursive: true });
        writeFileSync(join(dir, 'pki', linkFilePath(to.name, from.name)), LINK_FILE_HEADER + toYaml({ apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link', metadata: { name: from.name }, spec: {} }));
        for (const ns of CREDENTIAL_NAMESPACES) {
          writeFileSync(join(dir, 'pki', credentialsPath(to.name, from.name, ns)), await encryptedFile(CREDENTIALS_HEADER,
            { apiVersion: 'v1', kind: 'Secret', metadata: { name: `cluster-credentials-${from.name}`, namespace: ns }, stringData: { kubeconfig: `token of ${from.name}` } },
            clusterRecipients(fleet, to)));
        }
      }
    }
    expect((await cli(args)).code).toBe(0);
    const sha = gitCommit(dir);

    writeFileSync(join(dir, 'fleet.yaml'), editFleet((d) => d.deleteIn(['spec', 'clusters', 2]), three));
    const label = relative(process.cwd(), join(dir, 'pki'));
    const check = await cli(['check', ...args]);
    expect(check.code).toBe(1);
    expect(check.err).toContain(`${label} keeps files of clusters no longer in fleet.yaml:\n` +
      `  - ${label}/cluster3/ belongs to cluster cluster3, which left the fleet\n` +
      `  - ${label}/links/cluster1/cluster-credentials-cluster3.linkerd.sops.yaml belongs to cluster cluster3, which left the fleet\n`);
    const r = await cli(args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`removed ${label}/cluster3/ (cluster cluster3 left the fleet; recoverable from git history: git checkout ${sha} -- ${label}/cluster3)`);
    expect(r.out).toContain(`removed ${label}/links/cluster3/ (cluster cluster3 left the fleet;`);
    expect(r.out).toContain(`removed ${label}/links/cluster1/link-cluster3.yaml (cluster cluster3 left the fleet;`);
    for (const gone of ['cluster3', 'links/cluster3', 'links/cluster1/link-cluster3.yaml', 'links/cluster2/cluster-credentials-cluster3.sops.yaml']) {
      expect(existsSync(join(dir, 'pki', gone)), gone).toBe(false);
    }
    expect(existsSync(join(dir, 'pki', 'links/cluster1/link-cluster2.yaml'))).toBe(true);
    const steps = (parse(readFileSync(join(dir, 'pki/revocations.yaml'), 'utf8')) as { revocations: { holder: string; steps: string[] }[] }).revocations;
    expect(steps.map((s) => s.holder)).toEqual(['cluster3']);
    expect(steps[0]!.steps).toHaveLength(3);
    expect(steps[0]!.steps[0]).toMatch(/^Rotate cluster1's remote-access token \(carried by cluster-credentials-cluster1\): /);
    expect(steps[0]!.steps[1]).toMatch(/^Rotate cluster2's remote-access token \(carried by cluster-credentials-cluster2\): /);
    expect(steps[0]!.steps[2]).toMatch(/^cluster3's identity issuer \(`[^`]*\/cluster3\/issuer\.pem`, removed from the store\) stays trusted by the trust anchor until \d{4}-\d{2}-\d{2}\. To distrust it sooner, replace the anchor: /);
    expect(steps[0]!.steps[0]).toContain('`kubectl --context=cluster1 --namespace=linkerd-multicluster delete secret linkerd-service-mirror-remote-access-default-token`');
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain(`### cluster3 (\`${shortKey(fx.extra.recipient)}\`, left the fleet)`);
    expect((await cli(['check', ...args])).code).toBe(0);
  });
});

describe('Cilium: a removed cluster held the fleet\'s one CA', () => {
  it('removes its copy and puts a new CA for every cluster on the checklist', async () => {
    const fx = fixture();
    const three = withThird(ciliumExample(), fx.extra.recipient);
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), three);
    const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    expect((await cli(args)).code).toBe(0);
    writeFileSync(join(dir, 'fleet.yaml'), ciliumExample());
    const r = await cli(args);
    expect(r.code, r.err).toBe(0);
    const label = relative(process.cwd(), join(dir, 'pki'));
    expect(r.out).toContain(`removed ${label}/cluster3/ (cluster cluster3 left the fleet; it was never committed, so git history does not keep it)`);
    expect(r.out).toContain(`git can no longer give cluster3's former key (${shortKey(fx.extra.recipient)}, left the fleet) anything`);
    expect(r.out).toContain('Every cluster moves to a new CA');
    expect(r.out).toContain('`npm run pki -- rotate-root begin`, then `next` and `finish`');
    expect(existsSync(join(dir, 'pki/cluster3'))).toBe(false);
    expect((await cli(['check', ...args])).code).toBe(0);
  });
});

describe('naming a former key', () => {
  it('finds the holder in the fleet.yaml before the change, also when the change is committed first', async () => {
    const { fx, dir, args } = await committedThenReplaced((f) => f.clusters['kt-k2p']!.recipient);
    gitCommit(dir);
    const label = relative(process.cwd(), join(dir, 'pki'));
    const r = await cli(args);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`  - ${label}/kt-k2p/cacerts.sops.yaml is readable by kt-k2p's former key (${shortKey(fx.clusters['kt-k2p']!.recipient)}) which is no longer in fleet.yaml ` +
      'and is not readable by kt-k2p; it should be readable by kt-k2p and operator 1\n');
    // Outside git the folder it opens names it (issue 21 item 1): shortened, never in full.
    const bare = fixtureDir(fx.fleetText.replace(fx.clusters['kt-k2p']!.recipient, fx.extra.recipient));
    const b = await cli(['--fleet', join(bare, 'fleet.yaml'), '--out', join(bare, 'dist')]);
    expect(b.err).toContain(`/kt-k2p/cacerts.sops.yaml is readable by kt-k2p's former key (${shortKey(fx.clusters['kt-k2p']!.recipient)}) which is no longer in fleet.yaml`);
    expect(b.err).not.toContain(fx.clusters['kt-k2p']!.recipient);
  });
});

describe('pki issue, rotate and rekey record what a replaced key could read', () => {
  it('rotating the cluster whose key changed still puts the old key on the checklist', async () => {
    const { fx, dir, args } = await committedThenReplaced((f) => f.clusters['kt-k2p']!.recipient);
    const r = await cli(['pki', 'rotate', 'kt-k2p', '--fleet', join(dir, 'fleet.yaml')], keyFile(fx.operator.identity));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`git can no longer give kt-k2p's former key (${shortKey(fx.clusters['kt-k2p']!.recipient)}, key replaced) anything`);
    const record = parse(readFileSync(join(dir, 'pki/revocations.yaml'), 'utf8')) as { revocations: { holder: string; recipient: string; reason: string }[] };
    expect(record.revocations.map(({ holder, recipient, reason }) => ({ holder, recipient, reason })))
      .toEqual([{ holder: 'kt-k2p', recipient: fx.clusters['kt-k2p']!.recipient, reason: 'key replaced' }]);
    expect((await cli(args)).code).toBe(0);
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).toContain(`### kt-k2p (\`${shortKey(fx.clusters['kt-k2p']!.recipient)}\`, key replaced)`);
    expect((await cli(['check', ...args])).code).toBe(0);
  });
});

describe('replacing an operator', () => {
  it('needs a current operator to re-encrypt; the new one is refused by name, and rekey records the old key too', async () => {
    const { fx, dir, args } = await committedThenReplaced((f) => f.operator.recipient);
    const label = relative(process.cwd(), join(dir, 'pki'));
    const former = `former operator 1 (${shortKey(fx.operator.recipient)})`;

    const before = hashTree(dir);
    const refused = await cli(args);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`4 file(s) in ${label} must be re-encrypted to the recipients fleet.yaml names:\n` +
      `  - ${label}/kt-k2p/cacerts.sops.yaml is readable by ${former} which is no longer in fleet.yaml and is not readable by operator 1; it should be readable by kt-k2p and operator 1\n`);
    expect(refused.err).toContain(`  - ${label}/root-key.sops.yaml is readable by ${former} which is no longer in fleet.yaml and is not readable by operator 1; it should be readable by operator 1\n`);
    const checked = await cli(['--check', ...args]);
    expect(checked.err).toContain(`the CA store is not what fleet.yaml implies:\n4 file(s) in ${label} must be re-encrypted`);

    const newcomer = await cli(args, keyFile(fx.extra.identity));
    expect(newcomer.code).toBe(1);
    expect(newcomer.err).toContain('cannot be opened with the identity in SOPS_AGE_KEY_FILE/SOPS_AGE_KEY: re-encrypting needs the key of someone who can read it now');
    expect(hashTree(dir)).toEqual(before);

    // `pki rekey` (the other way to fix it) records the same revocation.
    const rekeyed = await cli(['pki', 'rekey', '--fleet', join(dir, 'fleet.yaml')], keyFile(fx.operator.identity));
    expect(rekeyed.code, rekeyed.err).toBe(0);
    expect(rekeyed.out).toContain(`git can no longer give operator 1's former key (${shortKey(fx.operator.recipient)}, operator removed) anything`);
    expect(rekeyed.out).toContain('The Istio root key (`');
    const root = parse(readFileSync(join(dir, 'pki/root-key.sops.yaml'), 'utf8')) as Tree;
    expect(recipientsOf(root)).toEqual([fx.extra.recipient]);
    expect((await decryptObject(root, [fx.extra.identity])).kind).toBe('Secret');
    expect((await cli(args)).code).toBe(0);
    const done = await cli(['pki', 'revoked', 'operator 1', '--fleet', join(dir, 'fleet.yaml')]);
    expect(done.out).toBe(`marked 1 revocation(s) of operator 1 done in ${label}/revocations.yaml; run \`npm run synth\` (dist/README.md drops it) and commit.`);
    const again = await cli(['pki', 'revoked', 'operator 1', '--fleet', join(dir, 'fleet.yaml')]);
    expect(again.err).toContain(`no revocation is pending in ${label}/revocations.yaml`);
  });
});
