/**
 * Our age encryption (lib/sops/age.ts, node:crypto) against age-encryption's decrypter and the
 * age CLI, for many fresh keys and payload sizes across the 64 KiB chunk boundary.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { armor, Decrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { ageEncrypt } from '../../lib/sops/age';
import { recipientBytes } from '../../lib/format/recipients';
import { hasCommand, seededRandom, tempDir } from '../helpers';

const hasAge = hasCommand('age', ['--version']);
const CHUNK = 64 * 1024;

function payload(random: () => number, size: number): Uint8Array {
  return new Uint8Array(Array.from({ length: size }, () => Math.floor(random() * 256)));
}

describe('ageEncrypt', () => {
  it('writes files age-encryption opens with the matching identity only', async () => {
    const random = seededRandom(7);
    for (const size of [0, 1, 32, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK]) {
      const identity = await generateX25519Identity();
      const other = await generateX25519Identity();
      const data = payload(random, size);
      const file = ageEncrypt(await identityToRecipient(identity), data);
      const right = new Decrypter();
      right.addIdentity(identity);
      expect(await right.decrypt(armor.decode(file)), `${size} bytes`).toEqual(data);
      const wrong = new Decrypter();
      wrong.addIdentity(other);
      await expect(wrong.decrypt(armor.decode(file))).rejects.toThrow();
    }
  });

  it('writes the header and armor as age does', async () => {
    const file = ageEncrypt(await identityToRecipient(await generateX25519Identity()), new Uint8Array(32));
    expect(file).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n([A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{4,64}\n-----END AGE ENCRYPTED FILE-----\n$/);
    const header = Buffer.from(armor.decode(file)).toString('latin1');
    expect(header).toMatch(/^age-encryption\.org\/v1\n-> X25519 [A-Za-z0-9+/]{43}\n[A-Za-z0-9+/]{43}\n--- [A-Za-z0-9+/]{43}\n/);
  });

  it.skipIf(!hasAge)(`the age CLI decrypts it, and refuses a wrong identity${hasAge ? '' : ' — SKIPPED (age CLI): age is not installed'}`, async () => {
    const random = seededRandom(11);
    const dir = tempDir();
    for (const size of [32, CHUNK + 5]) {
      const identity = await generateX25519Identity();
      const data = payload(random, size);
      writeFileSync(join(dir, 'key'), `${identity}\n`);
      writeFileSync(join(dir, 'wrong'), `${await generateX25519Identity()}\n`);
      writeFileSync(join(dir, 'file.age'), ageEncrypt(await identityToRecipient(identity), data));
      const ok = spawnSync('age', ['--decrypt', '--identity', join(dir, 'key'), join(dir, 'file.age')]);
      expect(ok.status, ok.stderr.toString()).toBe(0);
      expect(new Uint8Array(ok.stdout)).toEqual(data);
      expect(spawnSync('age', ['--decrypt', '--identity', join(dir, 'wrong'), join(dir, 'file.age')]).status).not.toBe(0);
    }
  });

  it('refuses a recipient whose checksum is wrong', () => {
    expect(() => recipientBytes('age17rphktetg97yhjk8l5mxtnc5ypa6eyhk5gntd0g4r30g8tq5agnq9nuxmg')).toThrow(/wrong checksum/);
    expect(() => ageEncrypt('age17rphktetg97yhjk8l5mxtnc5ypa6eyhk5gntd0g4r30g8tq5agnq9nuxmg', new Uint8Array(32))).toThrow(/wrong checksum/);
  });
});
