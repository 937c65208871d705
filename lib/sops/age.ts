/**
 * age encryption (https://age-encryption.org/v1) of a SOPS data key to one X25519 recipient,
 * synchronously with node:crypto (OpenSSL), armored as age and sops write it:
 *
 *   file key      16 random bytes
 *   stanza        ephemeral X25519 key; share = its public key; secret = X25519(ephemeral, recipient);
 *                 wrap key = HKDF-SHA-256(secret, salt = share || recipient, "age-encryption.org/v1/X25519");
 *                 `-> X25519 <base64(share)>` and ChaCha20-Poly1305(wrap key, zero nonce, file key)
 *   header MAC    HMAC-SHA-256(HKDF-SHA-256(file key, no salt, "header"), header through "---")
 *   payload       16-byte nonce, then STREAM: ChaCha20-Poly1305 under HKDF-SHA-256(file key, nonce,
 *                 "payload"), one chunk per 64 KiB, nonce = 11-byte counter || last-chunk flag
 *   armor         PEM-like, 64 columns, `AGE ENCRYPTED FILE`
 *
 * Why not age-encryption's Encrypter, which meshfleet uses to decrypt: a new 100-cluster store
 * wraps 200 and more data keys, and each Encrypter.encrypt runs web streams with a 64 KiB buffer
 * for 32 bytes and imports its X25519 keys through WebCrypto on the thread pool: with the library's
 * load that was 0.3 s of the store's second. This is the X25519 recipient only (all fleet.yaml
 * accepts). The age CLI (the Go reference) and age-encryption's Decrypter open every file in the
 * tests.
 */
import { createCipheriv, createHmac, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';
import { toPem } from '../format/pem';
import { recipientBytes } from '../format/recipients';

const CHUNK = 64 * 1024;

const hkdf = (ikm: Buffer, salt: Buffer, info: string): Buffer => Buffer.from(hkdfSync('sha256', ikm, salt, info, 32));
const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '');

function chacha(key: Buffer, nonce: Buffer, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** Each recipient's public key object, made once per process. */
const peers = new Map<string, { bytes: Buffer; key: KeyObject }>();
function peer(recipient: string): { bytes: Buffer; key: KeyObject } {
  let p = peers.get(recipient);
  if (!p) {
    const bytes = recipientBytes(recipient);
    p = { bytes, key: createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: bytes.toString('base64url') }, format: 'jwk' }) };
    peers.set(recipient, p);
  }
  return p;
}

/** The X25519 stanza that wraps `fileKey` for `recipient`, as header lines. */
function x25519Stanza(recipient: string, fileKey: Buffer): string {
  const { bytes, key } = peer(recipient);
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const share = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const secret = diffieHellman({ privateKey, publicKey: key });
  // The spec's check: an all-zero secret means a low-order recipient key.
  if (secret.every((b) => b === 0)) throw new Error(`age: ${recipient.slice(0, 12)}… is not a usable X25519 public key (low order)`);
  const body = chacha(hkdf(secret, Buffer.concat([share, bytes]), 'age-encryption.org/v1/X25519'), Buffer.alloc(12), fileKey);
  return `-> X25519 ${b64(share)}\n${b64(body)}\n`; // a 32-byte body is one line of 43 characters
}

/** `plaintext` encrypted to one age X25519 recipient, ASCII-armored with a final newline. */
export function ageEncrypt(recipient: string, plaintext: Uint8Array): string {
  const fileKey = randomBytes(16);
  const headerNoMac = `age-encryption.org/v1\n${x25519Stanza(recipient, fileKey)}---`;
  const mac = createHmac('sha256', hkdf(fileKey, Buffer.alloc(0), 'header')).update(headerNoMac).digest();
  const nonce = randomBytes(16);
  const payloadKey = hkdf(fileKey, nonce, 'payload');
  const chunks: Buffer[] = [];
  const count = Math.max(1, Math.ceil(plaintext.length / CHUNK));
  for (let i = 0; i < count; i++) {
    const chunkNonce = Buffer.alloc(12);
    chunkNonce.writeUIntBE(i, 5, 6); // the counter's low 48 bits; files here are far below 2^48 chunks
    if (i === count - 1) chunkNonce[11] = 1;
    chunks.push(chacha(payloadKey, chunkNonce, plaintext.subarray(i * CHUNK, (i + 1) * CHUNK)));
  }
  const file = Buffer.concat([Buffer.from(`${headerNoMac} ${b64(mac)}\n`), nonce, ...chunks]);
  return toPem('AGE ENCRYPTED FILE', file); // age's armor is strict PEM
}
