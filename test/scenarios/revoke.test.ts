/**
 * The fleet lifecycle (issue 14), scripted on a temp git repository holding a copy of the default
 * fleet (ECDSA keys, so issuing is fast): add a cluster, link, remove another, rename a third,
 * replace a key, mark the revocations done. After each step `check` fails until the step is
 * complete and passes after; a refusal leaves every file as it was; at the end the age CLI proves
 * that no file under pki/ or dist/ opens with a removed or replaced key.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { parse, parseDocument, type YAMLSeq } from 'yaml';
import { loadFleet } from '../../lib/pipeline';
import { LINK_HEADER, linkPath, linkRecipients } from '../../lib/mesh/istio/ca';
import { remoteSecret } from '../../lib/mesh/istio/link';
import { encryptedFile } from '../../lib/pki/files';
import { shortKey } from '../../lib/format/recipients';
import { fixture, hashTree, hasCommand, ROOT, tempDir } from '../helpers';

const hasAge = hasCommand('age', ['--version']);
/** The built CLI, as `npm run` starts it (scripts/run.mjs rebuilds it first when a source changed). */
const RUN = join(ROOT, 'scripts', 'run.mjs');

interface Run { status: number; stdout: string; stderr: string }

/** The CLI as a user runs it in their repository (cwd = the repository), with or without an operator identity. */
function cli(dir: string, args: string[], identity?: string): Run {
  const env = { ...process.env };
  delete env.SOPS_AGE_KEY;
  delete env.SOPS_AGE_KEY_FILE;
  if (identity) env.SOPS_AGE_KEY_FILE = identity;
  const r = spawnSync(process.execPath, [RUN, ...args], { cwd: dir, env, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: dir, encoding: 'utf8' });
}

function commit(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', '--short', 'HEAD').trim();
}

function editFleetFile(dir: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const doc = parseDocument(readFileSync(join(dir, 'fleet.yaml'), 'utf8'));
  edit(doc);
  writeFileSync(join(dir, 'fleet.yaml'), doc.toString());
}

const clusterIndex = (doc: ReturnType<typeof parseDocument>, name: string): number =>
  (doc.getIn(['spec', 'clusters']) as YAMLSeq).items.findIndex((c) => (c as { get(k: string): unknown }).get('name') === name);

/** Asserts that `check` fails (with `expected` in its output) and leaves everything as it was. */
function expectCheckFails(dir: string, expected: string): void {
  const before = hashTree(dir);
  const r = cli(dir, ['check']);
  expect(r.status, r.stdout).toBe(1);
  expect(r.stderr).toContain(expected);
  expect(hashTree(dir)).toEqual(before);
}

function expectCheckPasses(dir: string): Run {
  const r = cli(dir, ['check']);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('check passed');
  return r;
}

/** Writes pki/links/<c>.sops.yaml for every watched cluster, as `npm run link` would from live clusters. */
async function craftLinks(dir: string): Promise<void> {
  const fleet = loadFleet(readFileSync(join(dir, 'fleet.yaml'), 'utf8'));
  mkdirSync(join(dir, 'pki', 'links'), { recursive: true });
  for (const c of fleet.clusters) {
    const secret = remoteSecret({ cluster: c, token: `token-of-${c.name}`, caData: Buffer.from('ca').toString('base64'), kubeconfigServer: '' });
    writeFileSync(join(dir, 'pki', linkPath(c.name)), await encryptedFile(LINK_HEADER, secret, linkRecipients(fleet, c)));
  }
}

/** Every age stanza of every SOPS file under `root` (pki/ and dist/), as [file, armored ciphertext]. */
function ageStanzas(root: string): [string, string][] {
  const out: [string, string][] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.name === '.git') continue;
      if (e.isDirectory()) walk(full);
      else if (e.name.endsWith('.yaml')) {
        const obj = parse(readFileSync(full, 'utf8')) as { sops?: { age?: { enc: string }[] } } | null;
        for (const a of obj?.sops?.age ?? []) out.push([relative(root, full).split(sep).join('/'), a.enc]);
      }
    }
  };
  walk(root);
  return out;
}

/** The files whose data key the age CLI decrypts with the identity in `keyFile`. */
function openedBy(root: string, keyFile: string): string[] {
  const opened = new Set<string>();
  const tmp = tempDir('age-scan-');
  ageStanzas(root).forEach(([file, enc], i) => {
    const encFile = join(tmp, `${i}.age`);
    writeFileSync(encFile, enc);
    if (spawnSync('age', ['--decrypt', '--identity', keyFile, encFile]).status === 0) opened.add(file);
  });
  return [...opened].sort();
}

describe.skipIf(!hasAge)('the fleet lifecycle: add, link, remove, rename, replace a key', () => {
  it('keeps pki/ and dist/ readable by exactly the fleet, and records what git cannot revoke', { timeout: 600_000 }, async () => {
    const fx = fixture();
    const dir = tempDir('meshfleet-lifecycle-');
    const keyFile = (name: string, identity: string): string => {
      const path = join(tempDir('age-id-'), `${name}.agekey`);
      writeFileSync(path, `${identity}\n`);
      return path;
    };
    const operator = keyFile('operator', fx.operator.identity);
    const nhnKey = keyFile('nhn-nks', fx.clusters['nhn-nks']!.identity);
    const ktOldKey = keyFile('kt-k2p-old', fx.clusters['kt-k2p']!.identity);
    const ktNew = await generateX25519Identity();
    const ktNewRecipient = await identityToRecipient(ktNew);
    const ktNewKey = keyFile('kt-k2p-new', ktNew);

    // 0. The default fleet (fixture keys, ECDSA), its first synth and commit.
    writeFileSync(join(dir, 'fleet.yaml'), fx.fleetText.replace('meshID: mesh1', 'meshID: mesh1\n      ca:\n        keyType: ecdsa-p256'));
    git(dir, 'init', '-q', '-b', 'main');
    expect(cli(dir, ['synth']).status).toBe(0);
    expectCheckPasses(dir);
    commit(dir, 'the fleet');

    // 1. Add a cluster: synth and check refuse until it has a CA.
    editFleetFile(dir, (doc) => (doc.getIn(['spec', 'clusters']) as YAMLSeq).add(doc.createNode({
      name: 'kakao-ks', context: 'kakao', network: 'network4', apiServer: 'https://203.0.113.50:6443', ageRecipient: fx.extra.recipient, cni: 'calico',
    })));
    const notIssued = 'cluster kakao-ks has no intermediate CA in pki/kakao-ks/. Issuing one needs the root key: ' +
      'run `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue kakao-ks`, then synth again.';
    expectCheckFails(dir, notIssued);
    expect(cli(dir, ['pki', 'issue', 'kakao-ks'], operator).status).toBe(0);
    expectCheckFails(dir, 'dist is not what fleet.yaml renders to');
    expect(cli(dir, ['synth']).status).toBe(0);
    expectCheckPasses(dir);
    commit(dir, 'add kakao-ks');

    // 2. Link: the remote secrets (crafted as `npm run link` writes them) are placed by synth.
    await craftLinks(dir);
    expectCheckFails(dir, 'dist is not what fleet.yaml renders to');
    const linked = cli(dir, ['synth']);
    expect(linked.stdout).not.toContain('pending');
    expectCheckPasses(dir);
    const beforeRemoval = commit(dir, 'link');

    // 3. Remove nhn-nks: its files go, the links it could read are re-encrypted, the checklist is recorded.
    editFleetFile(dir, (doc) => (doc.getIn(['spec', 'clusters']) as YAMLSeq).delete(clusterIndex(doc, 'nhn-nks')));
    const nhn = `nhn-nks (${shortKey(fx.clusters['nhn-nks']!.recipient)})`;
    const staleLinks = [
      `  - pki/links/kakao-ks.sops.yaml is readable by ${nhn} which is no longer in fleet.yaml; it should be readable by kt-k2p, ncloud-nks and operator 1`,
      `  - pki/links/kt-k2p.sops.yaml is readable by ${nhn} which is no longer in fleet.yaml; it should be readable by kakao-ks, ncloud-nks and operator 1`,
      `  - pki/links/ncloud-nks.sops.yaml is readable by ${nhn} which is no longer in fleet.yaml; it should be readable by kakao-ks, kt-k2p and operator 1`,
    ];
    const removalProblem = [
      '3 file(s) in pki must be re-encrypted to the recipients fleet.yaml names:',
      ...staleLinks,
      'pki keeps files of clusters no longer in fleet.yaml:',
      '  - pki/links/nhn-nks.sops.yaml belongs to cluster nhn-nks, which left the fleet',
      '  - pki/nhn-nks/ belongs to cluster nhn-nks, which left the fleet',
      'Re-encrypting needs an operator\'s age identity: run `SOPS_AGE_KEY_FILE=<operator key file> npm run synth` and commit pki and the output folder.',
    ].join('\n');
    expectCheckFails(dir, `error: the CA store is not what fleet.yaml implies:\n${removalProblem}\n\nNothing was written.`);
    const before = hashTree(dir);
    const refused = cli(dir, ['synth']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`error: ${removalProblem}\n\nNothing was written.\n`);
    expect(hashTree(dir)).toEqual(before);
    const nhnCert = new X509Certificate(readFileSync(join(dir, 'pki/nhn-nks/ca-cert.pem')));
    const removed = cli(dir, ['synth'], operator);
    expect(removed.status, removed.stderr).toBe(0);
    const tokenStep = (name: string, ctx: string): string => `Rotate ${name}'s reader token (carried by the remote secret istio-remote-secret-${name}): ` +
      `\`kubectl --context=${ctx} --namespace=istio-system delete secret istio-reader-service-account-istio-remote-secret-token\` (the old token stops working), ` +
      `let the mesh-config stage re-create it with a new token (\`flux --context=${ctx} reconcile kustomization meshfleet-mesh-config\`), then \`npm run link\`, \`npm run synth\`, commit.`;
    const newRoot = '`npm run pki -- rotate-root begin`, then `next` and `finish`, a synth and a commit after each (every cluster trusts the old and the new root until all have moved, so nothing stops; ' +
      'dist/README.md, "Rotating certificates", says what to wait for between phases)';
    const nhnSteps = [
      tokenStep('kakao-ks', 'kakao'), tokenStep('kt-k2p', 'kt'), tokenStep('ncloud-nks', 'ncloud'),
      `nhn-nks's intermediate CA (\`pki/nhn-nks/ca-cert.pem\`, removed from the store) stays trusted by the root until ${new Date(nhnCert.validTo).toISOString().slice(0, 10)} ` +
      `(serial ${nhnCert.serialNumber}): certificates it signs are accepted mesh-wide until then. To distrust it sooner, replace the root: ${newRoot}.`,
    ];
    const removedReport = [
      `removed pki/links/nhn-nks.sops.yaml (cluster nhn-nks left the fleet; recoverable from git history: git checkout ${beforeRemoval} -- pki/links/nhn-nks.sops.yaml)`,
      `removed pki/nhn-nks/ (cluster nhn-nks left the fleet; recoverable from git history: git checkout ${beforeRemoval} -- pki/nhn-nks)`,
      're-encrypted 3 file(s) in pki:',
      ...staleLinks,
      `git can no longer give nhn-nks's former key (${shortKey(fx.clusters['nhn-nks']!.recipient)}, left the fleet) anything, but what it could read stays valid on the live clusters until rotated:`,
      ...nhnSteps.map((s, i) => `  ${i + 1}. ${s}`),
      '  then `npm run pki -- revoked nhn-nks` and commit (dist/README.md lists it under "Pending revocations" until then).',
      'rendered 3 cluster(s) (kakao-ks, kt-k2p, ncloud-nks) into dist: ',
    ].join('\n');
    expect(removed.stdout.slice(0, removedReport.length)).toBe(removedReport);
    expect(existsSync(join(dir, 'pki/nhn-nks'))).toBe(false);
    expect(existsSync(join(dir, 'pki/links/nhn-nks.sops.yaml'))).toBe(false);
    const readme = readFileSync(join(dir, 'dist/README.md'), 'utf8');
    expect(readme).toContain(`## Pending revocations\n\nThese keys left the fleet (or were replaced).`);
    expect(readme).toContain(`### nhn-nks (\`${shortKey(fx.clusters['nhn-nks']!.recipient)}\`, left the fleet)\n\n${nhnSteps.map((s, i) => `${i + 1}. ${s}`).join('\n')}\n`);
    // The record in git: plain text, no secret.
    const record = parse(readFileSync(join(dir, 'pki/revocations.yaml'), 'utf8'));
    expect(record).toEqual({ revocations: [{ holder: 'nhn-nks', recipient: fx.clusters['nhn-nks']!.recipient, reason: 'left the fleet', steps: nhnSteps }] });
    const pending = expectCheckPasses(dir);
    expect(pending.stderr).toContain(`warning: 1 revocation(s) pending (nhn-nks (\`${shortKey(fx.clusters['nhn-nks']!.recipient)}\`, left the fleet))`);
    // A second synth changes nothing: the record and the output are stable.
    const stable = hashTree(dir);
    expect(cli(dir, ['synth']).status).toBe(0);
    expect(hashTree(dir)).toEqual(stable);
    commit(dir, 'remove nhn-nks');

    // 4. Rename ncloud-nks to ncloud-prod (same key): a removal plus an addition, said plainly.
    editFleetFile(dir, (doc) => doc.setIn(['spec', 'clusters', clusterIndex(doc, 'ncloud-nks'), 'name'], 'ncloud-prod'));
    const rename = 'ncloud-nks left and ncloud-prod joined: meshfleet treats a rename as removing ncloud-nks (its CA, links and access are revoked as above) ' +
      'and adding ncloud-prod (issue it with `npm run pki -- issue ncloud-prod`)';
    expectCheckFails(dir, rename);
    const renameRefused = cli(dir, ['synth']);
    expect(renameRefused.stderr).toContain('cluster ncloud-prod has no intermediate CA in pki/ncloud-prod/.');
    expect(renameRefused.stderr).toContain(`${rename}\n\nNothing was written.`);
    expect(cli(dir, ['pki', 'issue', 'ncloud-prod'], operator).status).toBe(0);
    expectCheckFails(dir, '  - pki/ncloud-nks/ belongs to cluster ncloud-nks, which left the fleet');
    const renamed = cli(dir, ['synth']);
    expect(renamed.status, renamed.stderr).toBe(0);
    expect(renamed.stdout).toContain('removed pki/ncloud-nks/ (cluster ncloud-nks left the fleet; recoverable from git history: git checkout ');
    expect(renamed.stdout).toContain('ncloud-nks left and ncloud-prod joined: meshfleet treats a rename as removing ncloud-nks (its CA, links and access are revoked as above) and adding ncloud-prod (its CA is issued)');
    expect(renamed.stdout).toContain('2 link(s) pending (ncloud-prod→kakao-ks, ncloud-prod→kt-k2p)');
    expectCheckPasses(dir);
    commit(dir, 'rename ncloud-nks to ncloud-prod');

    // 5. Replace kt-k2p's key: the same re-encryption, and the old key's access on the checklist.
    const ktOld = fx.clusters['kt-k2p']!.recipient;
    editFleetFile(dir, (doc) => doc.setIn(['spec', 'clusters', clusterIndex(doc, 'kt-k2p'), 'ageRecipient'], ktNewRecipient));
    const formerKt = `kt-k2p's former key (${shortKey(ktOld)})`;
    const ktStale = [
      `  - pki/kt-k2p/cacerts.sops.yaml is readable by ${formerKt} which is no longer in fleet.yaml and is not readable by kt-k2p; it should be readable by kt-k2p and operator 1`,
      `  - pki/links/kakao-ks.sops.yaml is readable by ${formerKt} which is no longer in fleet.yaml and is not readable by kt-k2p; it should be readable by kt-k2p, ncloud-prod and operator 1`,
    ];
    expectCheckFails(dir, ['2 file(s) in pki must be re-encrypted to the recipients fleet.yaml names:', ...ktStale].join('\n'));
    const before5 = hashTree(dir);
    expect(cli(dir, ['synth']).status).toBe(1);
    expect(hashTree(dir)).toEqual(before5);
    const replaced = cli(dir, ['synth'], operator);
    expect(replaced.status, replaced.stderr).toBe(0);
    expect(replaced.stdout).toContain(['re-encrypted 2 file(s) in pki:', ...ktStale].join('\n'));
    expect(replaced.stdout).toContain(`git can no longer give kt-k2p's former key (${shortKey(ktOld)}, key replaced) anything`);
    const ktSteps = [
      tokenStep('kakao-ks', 'kakao'),
      'Rotate kt-k2p\'s intermediate CA, whose key the old key could read: `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate kt-k2p`, ' +
      'then `npm run synth` and commit (istiod picks up a new intermediate from the same root without a restart).',
    ];
    expect(replaced.stdout).toContain(ktSteps.map((s, i) => `  ${i + 1}. ${s}`).join('\n'));
    expectCheckPasses(dir);
    commit(dir, 'replace kt-k2p key');

    // 6. The operator did the steps: mark them done; dist/README.md drops the section once nothing is pending.
    expect(cli(dir, ['pki', 'revoked', 'nhn-nks']).stdout).toBe('marked 1 revocation(s) of nhn-nks done in pki/revocations.yaml; run `npm run synth` (dist/README.md drops it) and commit.\n');
    expectCheckFails(dir, 'dist is not what fleet.yaml renders to');
    expect(cli(dir, ['synth']).status).toBe(0);
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).not.toContain('### nhn-nks');
    expect(cli(dir, ['pki', 'revoked', 'kt-k2p']).status).toBe(0);
    expect(existsSync(join(dir, 'pki/revocations.yaml'))).toBe(false);
    expect(cli(dir, ['synth']).status).toBe(0);
    expect(readFileSync(join(dir, 'dist/README.md'), 'utf8')).not.toContain('Pending revocations');
    expectCheckPasses(dir);
    commit(dir, 'revocations done');

    // The scan: nothing in the repository opens with the removed or the replaced key; the current keys still open theirs.
    expect(openedBy(dir, nhnKey)).toEqual([]);
    expect(openedBy(dir, ktOldKey)).toEqual([]);
    expect(openedBy(dir, ktNewKey)).toEqual([
      'dist/manifests/kt-k2p/mesh-config/secret-istio-remote-secret-kakao-ks.yaml',
      'dist/manifests/kt-k2p/mesh-prereqs/secret-cacerts.yaml',
      'dist/manifests/ncloud-prod/mesh-config/secret-istio-remote-secret-kakao-ks.yaml',
      'pki/kt-k2p/cacerts.sops.yaml',
      'pki/links/kakao-ks.sops.yaml',
    ]);
    const encrypted = [...new Set(ageStanzas(dir).map(([f]) => f))].sort();
    expect(encrypted.length).toBeGreaterThan(10);
    expect(openedBy(dir, operator)).toEqual(encrypted);
  });
});
