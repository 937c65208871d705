/**
 * SOPS compatibility: our decoder against the real sops 3.8.1 vector, the `age` CLI and the
 * independent sops-age package against our files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decryptSops } from 'sops-age';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dataKey, decryptObject, decryptWithKey, encryptObject, recipientsOf, sopsTimestamp, type Tree } from '../../lib/sops/sops';
import { toYaml } from '../../lib/format/yaml';
import { fixture, hasCommand, hashTree, SHARED, synthFleet, tempDir } from '../helpers';

const VECTOR = join(SHARED, 'upstream', 'sops');
const hasVector = existsSync(join(VECTOR, 'secret.enc.yaml'));
const hasAge = hasCommand('age', ['--version']);
/** Built, not written out, so no file in the repository holds a private-key header. */
const PEM_HEADER = ['-----BEGIN', 'PRIVATE', 'KEY-----'].join(' ');

describe(`the sops 3.8.1 conformance vector${hasVector ? '' : ' — SKIPPED: ../shared/upstream/sops is missing'}`, () => {
  const read = (f: string): string => readFileSync(join(VECTOR, f), 'utf8');
  const identity = (): string => read('key.txt').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;

  it.skipIf(!hasVector)('decrypts to the expected plaintext and its MAC verifies', async () => {
    const plain = await decryptObject(parse(read('secret.enc.yaml')) as Tree, [identity()]);
    expect(plain).toEqual(parse(read('secret.plain.yaml')));
  });

  it.skipIf(!hasVector)('rejects the vector once a value is swapped (MAC mismatch)', async () => {
    const doc = parse(read('secret.enc.yaml')) as Tree & { complex: { array: string[] } };
    const [a, b] = doc.complex.array;
    doc.complex.array = [b!, a!, doc.complex.array[2]!];
    await expect(decryptObject(doc, [identity()])).rejects.toThrow(/MAC mismatch/);
  });
});

describe('our encryption', () => {
  const secret = {
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', labels: { a: 'b' } }, type: 'Opaque',
    stringData: { 'key.pem': `${PEM_HEADER}\nabc\n-----END PRIVATE KEY-----\n`, empty: '' },
  };

  it('writes lastmodified without fractional seconds and leaves envelope fields readable', async () => {
    const enc = await encryptObject(secret, [fixture().operator.recipient], new Date('2026-08-25T10:00:00.789Z'));
    const sops = enc.sops as { lastmodified: string; encrypted_regex: string; mac: string };
    expect(sops.lastmodified).toBe('2026-08-25T10:00:00Z');
    expect(sopsTimestamp(new Date(0))).toBe('1970-01-01T00:00:00Z');
    expect(sops.encrypted_regex).toBe('^(data|stringData)$');
    expect(enc.metadata).toEqual(secret.metadata);
    expect(enc.type).toBe('Opaque');
    const data = enc.stringData as Record<string, string>;
    expect(data['key.pem']).toMatch(/^ENC\[AES256_GCM,data:.+,iv:.{44},tag:.{24},type:str\]$/);
    expect(data.empty).toBe('');
    expect(sops.mac).toMatch(/^ENC\[AES256_GCM,data:.{172},/);
  });

  it('round-trips, and a changed clear field breaks the MAC', async () => {
    const enc = await encryptObject(secret, [fixture().operator.recipient]);
    expect(await decryptObject(enc, [fixture().operator.identity])).toEqual(secret);
    const tampered = { ...enc, metadata: { ...(enc.metadata as object), name: 'other' } };
    await expect(decryptObject(tampered, [fixture().operator.identity])).rejects.toThrow(/MAC mismatch/);
    await expect(decryptObject(enc, [fixture().extra.identity])).rejects.toThrow(/none of the given identities/);
  });

  it('names the file and says how to restore it when a value, or the MAC, was altered', async () => {
    const enc = await encryptObject(secret, [fixture().operator.recipient]);
    const data = enc.stringData as Record<string, string>;
    const flipped = data['key.pem']!.replace(/data:(.)/, (_, c: string) => `data:${c === 'A' ? 'B' : 'A'}`);
    const tampered = { ...enc, stringData: { ...data, 'key.pem': flipped } };
    await expect(decryptObject(tampered, [fixture().operator.identity], 'pki/a/key.sops.yaml')).rejects.toThrow(
      /^sops: pki\/a\/key\.sops\.yaml was altered after it was encrypted \(the value at stringData\.key\.pem fails authentication\): restore it from git \(`git checkout -- pki\/a\/key\.sops\.yaml`/);
    const sops = enc.sops as { lastmodified: string };
    const retimed = { ...enc, sops: { ...sops, lastmodified: '2020-01-01T00:00:00Z' } };
    await expect(decryptObject(retimed, [fixture().operator.identity], 'k.yaml')).rejects.toThrow(/k\.yaml was altered after it was encrypted \(its MAC, or the lastmodified time/);
    await expect(decryptObject(enc, [fixture().extra.identity], 'k.yaml')).rejects.toThrow(/can decrypt this file, k\.yaml \(recipients: age1.*\): set SOPS_AGE_KEY_FILE/);
  });

  it('the independent sops-age package decrypts our file to the original Secret', async () => {
    const enc = await encryptObject(secret, [fixture().operator.recipient]);
    const decoded = await decryptSops(toYaml(enc), { secretKey: fixture().operator.identity, fileType: 'yaml' });
    expect(decoded).toEqual(secret);
  });
});

describe(`every encrypted file synth and pki write${hasAge ? '' : ' — SKIPPED (age CLI): age is not installed'}`, () => {
  it.skipIf(!hasAge)('the age CLI unwraps each data key with the right identity, and not with a wrong one', async () => {
    const { dir } = await synthFleet();
    const fx = fixture();
    const identities = new Map<string, string>([[fx.operator.recipient, fx.operator.identity], ...Object.values(fx.clusters).map((k): [string, string] => [k.recipient, k.identity])]);
    const tmp = tempDir();
    const wrong = join(tmp, 'wrong.agekey');
    writeFileSync(wrong, `${fx.extra.identity}\n`);
    const files = Object.keys(hashTree(dir)).filter((f) => f.endsWith('.yaml') && readFileSync(join(dir, f), 'utf8').includes('\nsops:'));
    expect(files.length).toBe(3 + 1 + 3 + 0 + 0); // 3 cacerts in pki, root key, 3 cacerts in dist
    let stanzas = 0;
    for (const f of files) {
      const doc = parse(readFileSync(join(dir, f), 'utf8')) as Tree & { sops: { age: { recipient: string; enc: string }[] } };
      const ours = doc.sops.age.map((a) => identities.get(a.recipient)!);
      const key = await dataKey(doc, ours);
      expect(decryptWithKey(doc, key).kind).toBe('Secret');
      for (const { recipient, enc } of doc.sops.age) {
        const encFile = join(tmp, 'enc.age');
        writeFileSync(encFile, enc);
        const right = join(tmp, 'right.agekey');
        writeFileSync(right, `${identities.get(recipient)}\n`);
        expect(execFileSync('age', ['--decrypt', '--identity', right, encFile]), `${f} ${recipient}`).toEqual(key);
        expect(spawnSync('age', ['--decrypt', '--identity', wrong, encFile]).status).not.toBe(0);
        stanzas++;
      }
    }
    expect(stanzas).toBe(3 * 2 + 1 + 3 * 2);
  });
});

describe('.sops.yaml', () => {
  it('has a creation rule for every encrypted file, naming the recipients it is encrypted to', async () => {
    const { dir } = await synthFleet();
    const rules = (parse(readFileSync(join(dir, '.sops.yaml'), 'utf8')) as { creation_rules: { path_regex: string; age: string; encrypted_regex: string }[] }).creation_rules;
    const encrypted = Object.keys(hashTree(dir)).filter((f) => f.endsWith('.yaml') && readFileSync(join(dir, f), 'utf8').includes('\nsops:'));
    expect(encrypted.length).toBeGreaterThan(0);
    for (const f of encrypted) {
      const rule = rules.find((r) => new RegExp(r.path_regex).test(f));
      expect(rule, f).toBeDefined();
      expect(rule!.encrypted_regex).toBe('^(data|stringData)$');
      const doc = parse(readFileSync(join(dir, f), 'utf8')) as Tree;
      expect(rule!.age.split(',').sort(), f).toEqual(recipientsOf(doc).sort());
    }
  });
});
