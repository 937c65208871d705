/**
 * Who can read a cluster's own CA key (issue 21 items 1, 2): a key that left the fleet while it
 * could open `<cluster>/cacerts.sops.yaml` or `<cluster>/identity-issuer.sops.yaml` puts a rotate of
 * that cluster on the checklist, named by the cluster, also outside git.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { encryptedFile } from '../../lib/pki/files';
import { decryptObject, type Tree } from '../../lib/sops/sops';
import { editFleet, fixture, fixtureDir, hashTree, runMain, tempDir } from '../helpers';

const LINKERD = readFileSync(join(__dirname, '..', '..', 'examples', 'linkerd-kpaas.yaml'), 'utf8');

interface Entry { holder: string; recipient: string; reason: string; steps: string[] }
const revocations = (dir: string): Entry[] => (parse(readFileSync(join(dir, 'pki/revocations.yaml'), 'utf8')) as { revocations: Entry[] }).revocations;

describe('a key that could read a cluster\'s own CA key', () => {
  it('Istio, replaced outside git: the checklist rotates the cluster and names it', async () => {
    const fx = fixture();
    const old = fx.clusters['kt-k2p']!.recipient;
    const dir = fixtureDir(fx.fleetText.replace(old, fx.extra.recipient));
    const r = await runMain(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')], { SOPS_AGE_KEY_FILE: join(fx.dir, 'operator.agekey'), SOPS_AGE_KEY: undefined });
    expect(r.code, r.err).toBe(0);
    const [entry, ...rest] = revocations(dir);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ holder: 'kt-k2p', recipient: old, reason: 'key replaced' });
    expect(entry!.steps.join('\n')).toContain('npm run pki -- rotate kt-k2p');
    expect(entry!.steps.join('\n')).not.toContain('Nothing it could read');
    expect(r.out).toContain('npm run pki -- rotate kt-k2p');
  });

  it('Istio, an extra recipient found on the file: rotate that cluster', async () => {
    const fx = fixture();
    const dir = fixtureDir();
    const file = join(dir, 'pki/nhn-nks/cacerts.sops.yaml');
    const text = readFileSync(file, 'utf8');
    const plain = await decryptObject(parse(text) as Tree, [fx.operator.identity]);
    writeFileSync(file, await encryptedFile(/^(?:#[^\n]*\n)*/.exec(text)![0], plain, [fx.clusters['nhn-nks']!.recipient, fx.operator.recipient, fx.extra.recipient]));
    const r = await runMain(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')], { SOPS_AGE_KEY_FILE: join(fx.dir, 'operator.agekey'), SOPS_AGE_KEY: undefined });
    expect(r.code, r.err).toBe(0);
    const [entry] = revocations(dir);
    expect(entry!.holder).toBe('nhn-nks');
    expect(entry!.recipient).toBe(fx.extra.recipient);
    expect(entry!.steps.join('\n')).toContain('npm run pki -- rotate nhn-nks');
  });

  it('Linkerd, replaced outside git: the checklist rotates the cluster\'s issuer', async () => {
    const fx = fixture();
    const fleetText = (key: string): string => editFleet((d) => {
      d.setIn(['spec', 'secrets', 'operators'], d.createNode([fx.operator.recipient]));
      d.setIn(['spec', 'clusters', 0, 'ageRecipient'], key);
      d.setIn(['spec', 'clusters', 1, 'ageRecipient'], fx.clusters['ncloud-nks']!.recipient);
    }, LINKERD);
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), fleetText(fx.clusters['kt-k2p']!.recipient));
    const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    expect((await runMain(args, { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: undefined })).code).toBe(0);
    writeFileSync(join(dir, 'fleet.yaml'), fleetText(fx.extra.recipient));
    const r = await runMain(args, { SOPS_AGE_KEY_FILE: join(fx.dir, 'operator.agekey'), SOPS_AGE_KEY: undefined });
    expect(r.code, r.err).toBe(0);
    const [entry] = revocations(dir);
    expect(entry).toMatchObject({ holder: 'cluster1', recipient: fx.clusters['kt-k2p']!.recipient, reason: 'key replaced' });
    expect(entry!.steps.join('\n')).toContain('npm run pki -- rotate cluster1');
  });
});

describe('a pki/ that leads out of the repository (issue 21 item 5)', () => {
  const commands: string[][] = [[], ['check'], ['diff'], ['pki', 'status'], ['pki', 'rotate', 'kt-k2p'], ['pki', 'rekey'], ['pki', 'issue', 'kt-k2p'], ['pki', 'revoked', 'kt-k2p'], ['link']];
  it.each(commands.map((c) => [c.join(' ') || 'synth', c] as const))('%s refuses it, reading and writing nothing there', async (_name, command) => {
    const fx = fixture();
    const dir = tempDir();
    const away = tempDir();
    cpSync(join(fx.dir, 'pki'), join(away, 'pki'), { recursive: true });
    writeFileSync(join(dir, 'fleet.yaml'), fx.fleetText);
    symlinkSync(join(away, 'pki'), join(dir, 'pki'));
    const before = hashTree(away);
    const args = [...command, '--fleet', join(dir, 'fleet.yaml'), ...(['pki', 'link'].includes(command[0] ?? '') ? [] : ['--out', join(dir, 'dist')])];
    const r = await runMain(args, { SOPS_AGE_KEY_FILE: join(fx.dir, 'operator.agekey'), SOPS_AGE_KEY: undefined });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/pki \(the CA store beside the fleet file\) is a symlink \(or below one\) to .*, which is outside the repository of the fleet file .*Replace the symlink with the folder itself/);
    expect(hashTree(away)).toEqual(before);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('a dangling symlink is refused too: the first synth would create the store there', async () => {
    const fx = fixture();
    const dir = tempDir();
    const away = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), fx.fleetText);
    symlinkSync(join(away, 'pki'), join(dir, 'pki'));
    const r = await runMain(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')], { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: undefined });
    expect(r.code).toBe(1);
    expect(r.err).toContain('is a symlink (or below one) to');
    expect(readdirSync(away)).toEqual([]);
  });
});

describe('a store that lost a file (issue 21 item 6)', () => {
  it.each(['root-key.sops.yaml', 'kt-k2p/cert-chain.pem', 'nhn-nks/cacerts.sops.yaml'])('%s deleted: synth, check and pki status exit 1 naming it', async (file) => {
    const dir = fixtureDir();
    rmSync(join(dir, 'pki', file));
    const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    const env = { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: undefined };
    for (const cmd of [[], ['check']]) {
      const r = await runMain([...cmd, ...args], env);
      expect(r.code, r.out).toBe(1);
      expect(r.err).toContain(`pki/${file} is missing`);
      expect(r.err).toContain('restore it from git');
    }
    const s = await runMain(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(s.code).toBe(1);
    expect(s.out).toContain(`pki/${file} is missing`);
  });
});

describe('a store that is not this fleet\'s (issue 21 item 14)', () => {
  it('an Istio store under a Linkerd fleet is named as another mesh\'s store, with the way to a new one', async () => {
    const dir = tempDir();
    cpSync(join(fixture().dir, 'pki'), join(dir, 'pki'), { recursive: true });
    writeFileSync(join(dir, 'fleet.yaml'), LINKERD);
    const before = hashTree(dir);
    const env = { SOPS_AGE_KEY_FILE: undefined, SOPS_AGE_KEY: undefined };
    for (const cmd of [[], ['check'], ['pki', 'status'], ['pki', 'rekey']]) {
      const r = await runMain([...cmd, '--fleet', join(dir, 'fleet.yaml'), ...(cmd[0] === 'pki' ? [] : ['--out', join(dir, 'dist')])], env);
      expect(r.code, `${cmd.join(' ')}: ${r.out}`).toBe(1);
      expect(r.err).toContain('pki is the CA store of mesh type istio (root-cert.pem, root-key.sops.yaml), but fleet.yaml\'s spec.mesh.type is linkerd');
      expect(r.err).toMatch(/git mv \S*pki \S*pki-istio/);
      expect(r.err).not.toContain('restore it from git');
    }
    expect(hashTree(dir)).toEqual(before);
  });

  it('an empty pki/ is a new store; one emptied of what git has at HEAD is refused', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), LINKERD);
    const args = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    mkdirSync(join(dir, 'pki'));
    const check = await runMain(['check', ...args]);
    expect(check.code).toBe(1);
    expect(check.err).toContain('pki is empty; run `npm run synth` once to create the CA store');
    const r = await runMain(args);
    expect(r.code, r.err).toBe(0);
    expect(readdirSync(join(dir, 'pki')).sort()).toEqual(['cluster1', 'cluster2', 'meshfleet.yaml', 'trust-anchor-key.sops.yaml', 'trust-anchor.pem']);

    const git = (...a: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...a], { cwd: dir, stdio: 'ignore' });
    git('init', '-q');
    git('add', 'fleet.yaml', 'pki');
    git('commit', '-qm', 'store');
    rmSync(join(dir, 'pki'), { recursive: true });
    mkdirSync(join(dir, 'pki'));
    const again = await runMain(args);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/pki is empty, but the last commit has 7 file\(s\) in it: the CA store was deleted.*git checkout HEAD -- \S*pki/);
    expect(readdirSync(join(dir, 'pki'))).toEqual([]);
  });
});
