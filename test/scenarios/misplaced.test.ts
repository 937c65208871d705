/**
 * Swapped cluster folders in pki/ (issue 21 item 7): kt-k2p's intermediate under nhn-nks/ and the
 * reverse. Each file is encrypted to the other cluster, so a review alone would "repair" them by
 * re-encrypting each to its folder's cluster, handing each cluster the other's CA key. Every command
 * that reads the store refuses instead, naming the files and the repair, and changes nothing.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { editFleet, fixture, fixtureDir, hashTree, ROOT, runMain, tempDir } from '../helpers';

function swap(pki: string, a: string, b: string): void {
  renameSync(join(pki, a), join(pki, 'swap'));
  renameSync(join(pki, b), join(pki, a));
  renameSync(join(pki, 'swap'), join(pki, b));
}

function swapped(): string {
  const dir = fixtureDir();
  swap(join(dir, 'pki'), 'kt-k2p', 'nhn-nks');
  return dir;
}

describe('swapped cluster folders in pki/', () => {
  const env = { SOPS_AGE_KEY_FILE: join(fixture().dir, 'operator.agekey') };

  it('synth, check, pki rekey and pki rotate refuse, naming each file, whose it is and the repair; nothing changes', async () => {
    const dir = swapped();
    const tree = hashTree(dir);
    const at = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    for (const argv of [at, ['check', ...at], ['pki', 'rekey', ...at.slice(0, 2)], ['pki', 'rotate', 'ncloud-nks', ...at.slice(0, 2)]]) {
      const r = await runMain(argv, env);
      expect(r.code, `${argv.join(' ')}: ${r.out}${r.err}`).toBe(1);
      const text = r.out + r.err;
      expect(text).toMatch(/pki\/kt-k2p\/ca-cert\.pem is cluster nhn-nks's intermediate \(subject [^)]*L=nhn-nks[^)]*\), not kt-k2p's: \S*pki\/kt-k2p\/ holds the files of \S*pki\/nhn-nks\/ \(swapped or copied folders\)\. Restore from git \(`git checkout -- \S*pki\/kt-k2p \S*pki\/nhn-nks`\)/);
      expect(text).toMatch(/pki\/nhn-nks\/ca-cert\.pem is cluster kt-k2p's intermediate/);
      expect(text).not.toMatch(/\n\s+at /);
      expect(hashTree(dir), argv.join(' ')).toEqual(tree);
    }
  });

  it('pki status lists them as misplaced and exits 1', async () => {
    const dir = swapped();
    const r = await runMain(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/file\(s\) the CA store needs are missing or misplaced:\n {2}- \S*pki\/kt-k2p\/cacerts\.sops\.yaml is encrypted to cluster nhn-nks's key, not kt-k2p's/);
    expect(r.out).toMatch(/\n {2}- \S*pki\/kt-k2p\/ca-cert\.pem is cluster nhn-nks's intermediate/);
  });

  it('an unswapped store passes (the check names no file of a store in place)', async () => {
    const dir = fixtureDir();
    const r = await runMain(['pki', 'status', '--fleet', join(dir, 'fleet.yaml')], env);
    expect(r.out).not.toMatch(/misplaced:/);
    expect(r.code, r.out).toBe(0);
  });

  it('Linkerd (issuers share one subject): told by the SOPS recipients, refused before re-encryption', async () => {
    const fx = fixture();
    const text = editFleet((d) => {
      d.setIn(['spec', 'secrets', 'operators'], d.createNode([fx.operator.recipient]));
      d.setIn(['spec', 'clusters', 0, 'ageRecipient'], fx.clusters['kt-k2p']!.recipient);
      d.setIn(['spec', 'clusters', 1, 'ageRecipient'], fx.clusters['ncloud-nks']!.recipient);
    }, readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8'));
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), text);
    const at = ['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')];
    expect((await runMain(at, env)).code).toBe(0);
    swap(join(dir, 'pki'), 'cluster1', 'cluster2');
    const tree = hashTree(dir);
    const r = await runMain(at, env);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/pki\/cluster1\/identity-issuer\.sops\.yaml is encrypted to cluster cluster2's key, not cluster1's: \S*pki\/cluster1\/ holds files of \S*pki\/cluster2\/ \(swapped or copied folders\)/);
    expect(hashTree(dir)).toEqual(tree);
  });
});
