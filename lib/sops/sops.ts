/**
 * SOPS encryption and decryption of Kubernetes objects, byte-compatible with sops 3.x as Flux's
 * kustomize-controller decrypts it:
 *
 * - a random 32-byte data key, age-encrypted (armored) to each recipient separately;
 * - every leaf under a key matching `encrypted_regex` encrypted with AES-256-GCM, a 32-byte IV and
 *   the path of map keys as additional data (`stringData:ca-key.pem:`), as
 *   `ENC[AES256_GCM,data:…,iv:…,tag:…,type:str]`;
 * - the MAC: SHA-512 over every leaf's plaintext in document order, upper-case hex, encrypted with
 *   `lastmodified` (RFC 3339, no fractional seconds) as additional data.
 *
 * The object is hashed and serialized in the same (canonical) order, so the MAC matches what the
 * sops CLI computes from the written file.
 */
import { UsageError } from '../errors';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** age-encryption (and the curve libraries under it) loads only when a command decrypts (lib/sops/age.ts encrypts). */
const ageLib = (): Promise<typeof import('age-encryption')> => import('age-encryption');
import { canonical } from '../format/yaml';
import { ageEncrypt } from './age';
import { parse } from 'yaml';

export const ENCRYPTED_REGEX = '^(data|stringData)$';
const SOPS_VERSION = '3.9.4';
const ENC = /^ENC\[AES256_GCM,data:(.*),iv:(.+),tag:(.+),type:(.+)\]$/;

export interface SopsMetadata {
  age: { recipient: string; enc: string }[];
  encrypted_regex: string;
  lastmodified: string;
  mac: string;
  version: string;
  [key: string]: unknown;
}

export type Tree = Record<string, unknown>;

/** RFC 3339 in UTC without fractional seconds, as sops formats `lastmodified`. */
export function sopsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Go's text form of a leaf, which is what sops encrypts and hashes. */
function leafBytes(value: unknown): { text: string; type: string } {
  if (typeof value === 'string') return { text: value, type: 'str' };
  if (typeof value === 'boolean') return { text: value ? 'True' : 'False', type: 'bool' };
  if (typeof value === 'number') return { text: String(value), type: Number.isInteger(value) ? 'int' : 'float' };
  throw new Error(`sops: cannot encrypt a ${typeof value} leaf`);
}

function encryptValue(text: string, type: string, key: Buffer, aad: string): string {
  if (text === '') return '';
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${type}]`;
}

function decryptValue(value: string, key: Buffer, aad: string): unknown {
  if (value === '') return '';
  const m = ENC.exec(value);
  if (!m) throw new Error(`sops: not an encrypted value: ${value.slice(0, 40)}`);
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(m[2]!, 'base64'));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(Buffer.from(m[3]!, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(m[1]!, 'base64')), decipher.final()]).toString('utf8');
  switch (m[4]) {
    case 'str': return text;
    case 'int': return parseInt(text, 10);
    case 'float': return parseFloat(text);
    case 'bool': return text === 'True' || text === 'true';
    default: throw new Error(`sops: unsupported value type ${m[4]}`);
  }
}

/**
 * Walks every leaf in document order. `path` holds map keys only (sops leaves sequence indices
 * out of the additional data); `encrypt` says whether any key on the path matches the regex.
 */
function mapLeaves(node: unknown, path: string[], regex: RegExp, fn: (value: unknown, path: string[], encrypt: boolean) => unknown): unknown {
  if (Array.isArray(node)) return node.map((item) => mapLeaves(item, path, regex, fn));
  if (node !== null && typeof node === 'object') {
    const out: Tree = {};
    for (const [k, v] of Object.entries(node)) out[k] = mapLeaves(v, [...path, k], regex, fn);
    return out;
  }
  if (node === null || node === undefined) return node;
  return fn(node, path, path.some((p) => regex.test(p)));
}

/** Encrypts `obj` (canonical key order) to the age recipients; `now` becomes `lastmodified`. */
export async function encryptObject(obj: Tree, recipients: readonly string[], now = new Date()): Promise<Tree> {
  if (recipients.length === 0) throw new Error('sops: no recipients');
  const tree = canonical(obj) as Tree;
  const key = randomBytes(32);
  const regex = new RegExp(ENCRYPTED_REGEX);
  const hash = createHash('sha512');
  const encrypted = mapLeaves(tree, [], regex, (value, path, encrypt) => {
    const { text, type } = leafBytes(value);
    hash.update(text, 'utf8');
    return encrypt ? encryptValue(text, type, key, `${path.join(':')}:`) : value;
  }) as Tree;
  const lastmodified = sopsTimestamp(now);
  const age = recipients.map((recipient) => ({ recipient, enc: ageEncrypt(recipient, key) }));
  const sops: SopsMetadata = {
    age,
    encrypted_regex: ENCRYPTED_REGEX,
    lastmodified,
    mac: encryptValue(hash.digest('hex').toUpperCase(), 'str', key, lastmodified),
    version: SOPS_VERSION,
  };
  return { ...encrypted, sops };
}

/** The data key of a SOPS object, unwrapped with any of the given age identities. */
export async function dataKey(obj: Tree, identities: readonly string[], file?: string): Promise<Buffer> {
  const meta = obj.sops as SopsMetadata | undefined;
  if (!meta?.age?.length) throw new UsageError('sops: the file has no age recipients (is it SOPS-encrypted with age?)');
  const { armor, Decrypter } = await ageLib();
  const d = new Decrypter();
  identities.forEach((identity, i) => {
    try {
      d.addIdentity(identity);
    } catch (e) {
      throw new UsageError(`age identity ${i + 1} of ${identities.length} is not a valid age secret key (${(e as Error).message}): ` +
        'check the key file (SOPS_AGE_KEY_FILE or SOPS_AGE_KEY); `age-keygen -y <file>` must print its public key');
    }
  });
  for (const { enc } of meta.age) {
    try {
      return Buffer.from(await d.decrypt(armor.decode(enc)));
    } catch {
      // not for these identities; try the next stanza
    }
  }
  throw new UsageError(`sops: none of the given identities can decrypt this file${file ? `, ${file}` : ''} (recipients: ${meta.age.map((a) => a.recipient).join(', ')}): ` +
    'set SOPS_AGE_KEY_FILE to the identity of one of them (`age-keygen -y <file>` prints the recipient an identity belongs to)');
}

/** Decrypts a SOPS object and verifies its MAC; returns the object without `sops`. `file` names it in errors. */
export async function decryptObject(obj: Tree, identities: readonly string[], file?: string): Promise<Tree> {
  const key = await dataKey(obj, identities, file);
  return decryptWithKey(obj, key, file);
}

/** A SOPS file whose content was changed after it was encrypted: callers that tolerate an unreadable file still stop on this. */
export class AlteredFileError extends UsageError {}

const altered = (file: string | undefined, what: string): AlteredFileError => new AlteredFileError(
  `sops: ${file ?? 'the file'} was altered after it was encrypted (${what}): restore it from git` +
  `${file ? ` (\`git checkout -- ${file}\`; \`git log --oneline -- ${file}\` finds a good version)` : ''}, or re-create it with the command that made it`);

export function decryptWithKey(obj: Tree, key: Buffer, file?: string): Tree {
  const { sops, ...rest } = obj as Tree & { sops: SopsMetadata };
  const regex = new RegExp(sops.encrypted_regex ?? ENCRYPTED_REGEX);
  const unencryptedSuffix = typeof sops.unencrypted_suffix === 'string' ? sops.unencrypted_suffix : undefined;
  const hash = createHash('sha512');
  const plain = mapLeaves(rest, [], regex, (value, path, matches) => {
    const encrypted = sops.encrypted_regex ? matches : !path.some((p) => unencryptedSuffix !== undefined && p.endsWith(unencryptedSuffix));
    let out = value;
    if (encrypted && typeof value === 'string') {
      try {
        out = decryptValue(value, key, `${path.join(':')}:`);
      } catch (e) {
        // AES-GCM: a changed value, nonce, tag or key path fails authentication.
        throw altered(file, `the value at ${path.join('.')} fails authentication${/authenticate/.test((e as Error).message) ? '' : `: ${(e as Error).message}`}`);
      }
    }
    hash.update(leafBytes(out).text, 'utf8');
    return out;
  }) as Tree;
  let mac: string;
  try {
    mac = decryptValue(sops.mac, key, sops.lastmodified) as string;
  } catch {
    throw altered(file, 'its MAC, or the lastmodified time that authenticates it, was changed');
  }
  const computed = hash.digest('hex').toUpperCase();
  if (mac !== computed) throw altered(file, 'MAC mismatch: a value or a key was changed');
  return plain;
}

/** The age recipients a SOPS object is encrypted to. */
export function recipientsOf(obj: Tree): string[] {
  return ((obj.sops as SopsMetadata | undefined)?.age ?? []).map((a) => a.recipient);
}

const parsedTexts = new Map<string, unknown>();

/**
 * `parse(text)` of a SOPS file, once per text in a process: a command reads each store file once,
 * but several checks look into it (placement, the review, the mesh's read, the key check), and
 * parsing a 100-cluster store four times was a third of an unchanged synth. The tree is shared:
 * callers never change it. A text that does not parse throws each time and is not kept.
 */
export function parseSopsText(text: string): unknown {
  let obj = parsedTexts.get(text);
  if (obj === undefined) {
    obj = parse(text);
    if (parsedTexts.size >= 4096) parsedTexts.clear();
    parsedTexts.set(text, obj);
  }
  return obj;
}
