/** The fleet's Cilium CA: its certificate (openssl), delivery as the encrypted cilium-ca Secret, no key in the clear, and the pki commands. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CA_CERT, CA_KEY, clusterCaPath, ciliumPkiStatus, issueCiliumCa, rekeyCiliumPki } from '../../../lib/mesh/cilium/ca';
import { createPki, loadFleet } from '../../../lib/pipeline';
import { writeFilesAtomically } from '../../../lib/output/write';
import { dataKey, decryptObject, recipientsOf, type Tree } from '../../../lib/sops/sops';
import { fixture, hasCommand, hashTree, ROOT, synthFleet, tempDir, withOperator } from '../../helpers';
import { fixtureExample, withThird } from './fleet';

const hasOpenssl = hasCommand('openssl', ['version']);
const hasAge = hasCommand('age', ['--version']);
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

/** A temp folder with the fixture-encrypted example, a new Cilium CA store, and a synth of it. */
async function synthNew(text = fixtureExample()): Promise<{ dir: string; out: string }> {
  const dir = tempDir();
  writeFileSync(join(dir, 'fleet.yaml'), text);
  writeFilesAtomically(join(dir, 'pki'), await createPki(loadFleet(text)));
  return synthFleet(text, dir);
}

describe('the Cilium CA store', async () => {
  const { dir, out } = await synthNew();
  const pki = join(dir, 'pki');
  const f = fixture();
  const identity = { cluster1: f.clusters['kt-k2p']!.identity, cluster2: f.clusters['ncloud-nks']!.identity };

  it.skipIf(!hasOpenssl)(`is one self-signed ECDSA P-256 CA named like certgen's${hasOpenssl ? '' : ' — SKIPPED: openssl is not installed'}`, () => {
    const text = execFileSync('openssl', ['x509', '-in', join(pki, CA_CERT), '-noout', '-text'], { encoding: 'utf8' });
    expect(text).toContain('Subject: CN = Cilium CA');
    expect(text).toContain('Issuer: CN = Cilium CA');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE\n/);
    expect(text).toContain('ASN1 OID: prime256v1');
    const verify = execFileSync('openssl', ['verify', '-CAfile', join(pki, CA_CERT), join(pki, CA_CERT)], { encoding: 'utf8' });
    expect(verify.trim()).toBe(`${join(pki, CA_CERT)}: OK`);
  });

  it('reaches each cluster as Secret kube-system/cilium-ca (ca.crt, ca.key), only its own cluster and the operators can decrypt, copied byte for byte', async () => {
    const caPem = readFileSync(join(pki, CA_CERT), 'utf8');
    for (const [c, id] of Object.entries(identity)) {
      const inDist = readFileSync(join(out, 'manifests', c, 'infrastructure', 'secret-cilium-ca.yaml'), 'utf8');
      expect(inDist).toBe(readFileSync(join(pki, clusterCaPath(c)), 'utf8'));
      const doc = parse(inDist) as Tree;
      expect(recipientsOf(doc).sort()).toEqual([f.operator.recipient, c === 'cluster1' ? f.clusters['kt-k2p']!.recipient : f.clusters['ncloud-nks']!.recipient].sort());
      const plain = await decryptObject(doc, [id]);
      // The certificate's fingerprint in plaintext (MAC-covered): lets a synth without identities see that key and certificate belong together.
      expect(plain.metadata).toEqual({ name: 'cilium-ca', namespace: 'kube-system', annotations: { 'meshfleet.io/certificate-sha256': new X509Certificate(caPem).fingerprint256 } });
      const data = plain.stringData as Record<string, string>;
      expect(Object.keys(data).sort()).toEqual(['ca.crt', 'ca.key']);
      expect(data['ca.crt']).toBe(caPem);
      // The key is the certificate's.
      expect(createPublicKey(createPrivateKey(data['ca.key']!)).export({ type: 'spki', format: 'der' }))
        .toEqual(new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' }));
      const other = c === 'cluster1' ? identity.cluster2 : identity.cluster1;
      await expect(decryptObject(doc, [other])).rejects.toThrow();
    }
    const kustomization = parse(readFileSync(join(out, 'clusters', 'cluster1', 'infrastructure.yaml'), 'utf8').replace(/^#.*\n/, ''));
    expect(kustomization.spec.decryption).toEqual({ provider: 'sops', secretRef: { name: 'sops-age' } });
  });

  it('keeps the CA key out of every rendered and committed file in the clear', async () => {
    const key = ((await decryptObject(parse(readFileSync(join(pki, CA_KEY), 'utf8')) as Tree, [f.operator.identity])).stringData as Record<string, string>)['ca.key']!;
    const body = key.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const b64 = Buffer.from(key).toString('base64');
    const trees = [out, pki, join(ROOT, 'examples', 'pki', 'cilium-clustermesh'), join(ROOT, 'test', 'golden', 'cilium-clustermesh')];
    for (const tree of trees) {
      for (const file of Object.keys(hashTree(tree))) {
        const text = readFileSync(join(tree, file), 'utf8');
        expect(text, `${tree}/${file}`).not.toMatch(PRIVATE_KEY);
        expect(text.replace(/\s+/g, ''), `${tree}/${file}`).not.toContain(body.slice(0, 40));
        expect(text, `${tree}/${file}`).not.toContain(b64.slice(0, 40));
      }
    }
    const values = readFileSync(join(out, 'cilium', 'cluster1-values.yaml'), 'utf8');
    expect(values).not.toMatch(/^tls:/m);
  });

  it.skipIf(!hasAge)(`every encrypted file opens with the age CLI for exactly its recipients, and .sops.yaml names them${hasAge ? '' : ' — SKIPPED: age is not installed'}`, async () => {
    const identities = new Map([[f.operator.recipient, f.operator.identity], ...Object.values(f.clusters).map((k): [string, string] => [k.recipient, k.identity])]);
    const tmp = tempDir();
    const wrong = join(tmp, 'wrong.agekey');
    writeFileSync(wrong, `${f.extra.identity}\n`);
    const rules = (parse(readFileSync(join(dir, '.sops.yaml'), 'utf8')) as { creation_rules: { path_regex: string; age: string }[] }).creation_rules;
    const files = Object.keys(hashTree(dir)).filter((p) => p.endsWith('.yaml') && readFileSync(join(dir, p), 'utf8').includes('\nsops:'));
    // CA key, a copy per cluster in pki/, and the same copy in each cluster's infrastructure stage.
    expect(files.sort()).toEqual(['dist/manifests/cluster1/infrastructure/secret-cilium-ca.yaml', 'dist/manifests/cluster2/infrastructure/secret-cilium-ca.yaml',
      `pki/${CA_KEY}`, `pki/${clusterCaPath('cluster1')}`, `pki/${clusterCaPath('cluster2')}`]);
    for (const file of files) {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as Tree & { sops: { age: { recipient: string; enc: string }[] } };
      const key = await dataKey(doc, doc.sops.age.map((a) => identities.get(a.recipient)!));
      for (const { recipient, enc } of doc.sops.age) {
        writeFileSync(join(tmp, 'enc.age'), enc);
        writeFileSync(join(tmp, 'right.agekey'), `${identities.get(recipient)}\n`);
        expect(execFileSync('age', ['--decrypt', '--identity', join(tmp, 'right.agekey'), join(tmp, 'enc.age')]), `${file} ${recipient}`).toEqual(key);
        expect(spawnSync('age', ['--decrypt', '--identity', wrong, join(tmp, 'enc.age')]).status).not.toBe(0);
      }
      const rule = rules.find((r) => new RegExp(r.path_regex).test(file));
      expect(rule?.age.split(',').sort(), file).toEqual(recipientsOf(doc).sort());
    }
  });

  it('status has one row, the CA', () => {
    const rows = ciliumPkiStatus(loadFleet(fixtureExample()), pki);
    expect(rows.map((r) => r.file)).toEqual([CA_CERT]);
  });

  it('a new cluster needs `pki issue`, which gives it the same CA; rotate is refused; rekey re-encrypts', async () => {
    const text = withThird(fixtureExample(), f.extra.recipient);
    writeFileSync(join(dir, 'fleet.yaml'), text);
    await expect(synthFleet(text, dir)).rejects.toThrow(/cluster cluster3 has no copy of the Cilium CA in \S*pki\/cluster3\/\. Making one needs the CA key: run `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- issue cluster3`, then synth again\./);
    const fleet = loadFleet(text);
    const message = await withOperator(() => issueCiliumCa(fleet, pki, 'cluster3', false));
    expect(message).toBe('wrote the Cilium CA for cluster3; run `npm run synth` and commit pki/ and dist/.');
    const plain = await decryptObject(parse(readFileSync(join(pki, clusterCaPath('cluster3')), 'utf8')) as Tree, [f.extra.identity]);
    expect((plain.stringData as Record<string, string>)['ca.crt']).toBe(readFileSync(join(pki, CA_CERT), 'utf8'));
    await synthFleet(text, dir);
    await expect(withOperator(() => issueCiliumCa(fleet, pki, 'cluster3', false))).rejects.toThrow(/has its copy of the Cilium CA already/);
    await expect(withOperator(() => issueCiliumCa(fleet, pki, 'cluster1', true))).rejects.toThrow(/the Cilium CA is one for the whole fleet/);
    const before = readFileSync(join(pki, clusterCaPath('cluster1')), 'utf8');
    expect(await withOperator(() => rekeyCiliumPki(fleet, pki))).toMatch(/^re-encrypted 4 file\(s\)/);
    const after = readFileSync(join(pki, clusterCaPath('cluster1')), 'utf8');
    expect(after).not.toBe(before);
    expect((await decryptObject(parse(after) as Tree, [identity.cluster1])).stringData).toEqual((await decryptObject(parse(before) as Tree, [identity.cluster1])).stringData);
  });
});
