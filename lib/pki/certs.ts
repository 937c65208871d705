/**
 * Istio plug-in CA certificates to the profile of Istio's tools/certs (common.mk,
 * Makefile.selfsigned.mk): SHA-256; root `O=Istio, CN=Root CA`, `critical, CA:true`;
 * per-cluster intermediate `O=Istio, CN=Intermediate CA, L=<cluster>`, `critical, CA:true,
 * pathlen:0`, SAN `DNS:istiod.istio-system.svc`; both `critical, digitalSignature, nonRepudiation,
 * keyEncipherment, keyCertSign` and a subject key identifier.
 *
 * Keys and signatures come from node:crypto (OpenSSL): ECDSA P-256 keys synchronously, RSA 4096
 * keys on the thread pool, all clusters at once. The certificate's DER is written with node-forge's
 * ASN.1 encoder and its name and extension encoders (forge's own certificate code only handles
 * RSA keys, so the TBSCertificate is assembled here, the way forge's `getTBSCertificate` does).
 * An ECDSA certificate costs well under a millisecond; WebCrypto through @peculiar/x509 took six
 * (every key, digest and signature a thread-pool job, every certificate parsed back after
 * signing), which made a 100-cluster store miss its second. Private keys are PKCS#8 PEM.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import type Forge from 'node-forge';
import { pemDer, toPem } from '../format/pem';

export type KeyType = 'rsa-4096' | 'ecdsa-p256';

export interface KeyPairPem {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertOptions {
  readonly keyType: KeyType;
  readonly days: number;
  /** Start of validity; defaults to now. */
  readonly now?: Date;
}

export const ROOT_SUBJECT = [['O', 'Istio'], ['CN', 'Root CA']] as const;
export const INTERMEDIATE_SAN = 'istiod.istio-system.svc';

export function intermediateSubject(cluster: string): [string, string][] {
  return [['O', 'Istio'], ['CN', 'Intermediate CA'], ['L', cluster]];
}

type Subject = readonly (readonly [string, string])[];

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * node-forge, loaded on first use: only the commands that create certificates (first synth, pki
 * rotation) need it. Required, not imported: it is CommonJS, and Node's ES loader around a dynamic
 * import cost 30 ms of a 100-cluster store's creation.
 */
let forgeLib: typeof Forge | undefined;
function forgeLibrary(): typeof Forge {
  forgeLib ??= createRequire(import.meta.url)('node-forge') as typeof Forge;
  return forgeLib;
}

function validity(opts: CertOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + opts.days * DAY_MS) };
}

/**
 * A positive serial with 126 random bits, its first byte 0x40–0x7f: DER wants an INTEGER's
 * shortest form, and a first byte of zero is padding that OpenSSL rejects ("illegal padding").
 * Clearing only the sign bit, as meshfleet did, made one certificate in 512 unreadable.
 */
function serialBytes(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes;
}

/** Key usage, as forge's keyUsage extension names the bits. */
const ISTIO_USAGES = { digitalSignature: true, nonRepudiation: true, keyEncipherment: true, keyCertSign: true } as const;
const SIGNING_CA_USAGES = { keyCertSign: true, cRLSign: true } as const;

/** A self-signed CA; `subject` defaults to Istio's root (other meshes name their own). */
export async function createRoot(opts: CertOptions, subject: Subject = ROOT_SUBJECT): Promise<KeyPairPem> {
  return caCertificate({ subject, ...validity(opts), keyType: opts.keyType, pathLen: undefined, usages: ISTIO_USAGES, issuer: undefined });
}

export async function createIntermediate(cluster: string, root: KeyPairPem, opts: CertOptions): Promise<KeyPairPem> {
  // No intermediate outlives its root: a rotate late in the root's life gets what is left of it.
  const { notBefore, notAfter } = validity(opts);
  const rootEnd = new Date(new X509Certificate(root.certPem).validTo);
  return caCertificate({
    subject: intermediateSubject(cluster), notBefore, notAfter: rootEnd < notAfter ? rootEnd : notAfter,
    keyType: opts.keyType, pathLen: 0, usages: ISTIO_USAGES, issuer: root, dnsName: INTERMEDIATE_SAN,
  });
}

interface CaSpec {
  readonly subject: Subject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly keyType: KeyType;
  /** `critical, CA:true` with this path length (none when undefined). */
  readonly pathLen: number | undefined;
  /** The `critical` key usage bits. */
  readonly usages: Readonly<Record<string, boolean>>;
  /** Self-signed without an issuer. */
  readonly issuer: KeyPairPem | undefined;
  /** A DNS subject alternative name. */
  readonly dnsName?: string;
}

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  subjectKeyIdentifier: '2.5.29.14',
} as const;

async function newKeyPair(keyType: KeyType): Promise<{ publicKey: KeyObject; privateKey: KeyObject }> {
  if (keyType === 'ecdsa-p256') return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 4096, publicExponent: 0x10001 }, (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })));
  });
}

/** DER as forge's binary string, and back. */
const binary = (b: Buffer): string => b.toString('binary');
const bytes = (s: string): Buffer => Buffer.from(s, 'binary');

/**
 * An issuer's subject (as encoded in its certificate, so that names match byte for byte), key
 * identifier and private key, parsed once per issuer: a new store signs every cluster's
 * certificate with the same root.
 */
interface ParsedIssuer { readonly name: Forge.asn1.Asn1; readonly keyId: string; readonly key: KeyObject }
const issuers = new WeakMap<KeyPairPem, ParsedIssuer>();
function parsedIssuer(forge: typeof Forge, issuer: KeyPairPem): ParsedIssuer {
  let parsed = issuers.get(issuer);
  if (!parsed) {
    const { asn1 } = forge;
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }; the TBS
    // starts with the optional [0] version, then serial, signature, issuer, validity, subject, SPKI.
    const der = pemDer(issuer.certPem);
    if (!der) throw new Error('certs: the issuer has no PEM certificate');
    const tbs = (asn1.fromDer(binary(der)).value as Forge.asn1.Asn1[])[0]!;
    const fields = tbs.value as Forge.asn1.Asn1[];
    const at = fields[0]!.tagClass === asn1.Class.CONTEXT_SPECIFIC && fields[0]!.type === 0 ? 1 : 0;
    const name = fields[at + 4]!;
    const extensions = fields.find((f) => f.tagClass === asn1.Class.CONTEXT_SPECIFIC && f.type === 3);
    const ski = ((extensions?.value as Forge.asn1.Asn1[] | undefined)?.[0]?.value as Forge.asn1.Asn1[] | undefined ?? [])
      .map((e) => e.value as Forge.asn1.Asn1[])
      .find((e) => asn1.derToOid(e[0]!.value as string) === OID.subjectKeyIdentifier);
    const keyId = ski ? (asn1.fromDer(ski.at(-1)!.value as string).value as string) : keyIdentifier(createPublicKey(issuer.certPem));
    parsed = { name, keyId, key: createPrivateKey(issuer.keyPem) };
    issuers.set(issuer, parsed);
  }
  return parsed;
}

/**
 * RFC 5280's key identifier (method 1, what OpenSSL and forge write): SHA-1 of the subjectPublicKey
 * bits, which are the RSAPublicKey DER for RSA and the uncompressed point for EC; a binary string.
 */
function keyIdentifier(publicKey: KeyObject): string {
  let bits: Buffer;
  if (publicKey.asymmetricKeyType === 'rsa') {
    bits = publicKey.export({ type: 'pkcs1', format: 'der' });
  } else {
    const { x, y } = publicKey.export({ format: 'jwk' });
    bits = Buffer.concat([Buffer.from([0x04]), Buffer.from(x!, 'base64url'), Buffer.from(y!, 'base64url')]);
  }
  return createHash('sha1').update(bits).digest('binary');
}

/** An X.509 v3 CA certificate: key generated, TBSCertificate written with forge's encoders, signed by node:crypto. */
async function caCertificate(spec: CaSpec): Promise<KeyPairPem> {
  const { publicKey, privateKey } = await newKeyPair(spec.keyType);
  const forge = forgeLibrary();
  const { asn1, pki } = forge;
  const U = asn1.Class.UNIVERSAL;
  const T = asn1.Type;
  const seq = (value: Forge.asn1.Asn1[]): Forge.asn1.Asn1 => asn1.create(U, T.SEQUENCE, true, value);
  const issuer = spec.issuer ? parsedIssuer(forge, spec.issuer) : undefined;
  const signingKey = issuer?.key ?? privateKey;
  // AlgorithmIdentifier: ECDSA has no parameters, RSA a NULL.
  const algorithm = signingKey.asymmetricKeyType === 'rsa'
    ? seq([asn1.create(U, T.OID, false, asn1.oidToDer(OID.sha256WithRsa).getBytes()), asn1.create(U, T.NULL, false, '')])
    : seq([asn1.create(U, T.OID, false, asn1.oidToDer(OID.ecdsaWithSha256).getBytes())]);
  // Forge encodes the names (PrintableString, UTF8String where a value needs it) and the extensions.
  const holder = pki.createCertificate();
  holder.setSubject(spec.subject.map(([shortName, value]) => ({
    // (@types/node-forge types valueTagClass as a Class; forge reads it as the value's Type)
    shortName, value, ...(/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? {} : { valueTagClass: T.UTF8 as unknown as Forge.asn1.Class }),
  })));
  holder.setExtensions([
    { name: 'basicConstraints', critical: true, cA: true, ...(spec.pathLen === undefined ? {} : { pathLenConstraint: spec.pathLen }) },
    { name: 'keyUsage', critical: true, ...spec.usages },
    { name: 'subjectKeyIdentifier', value: asn1.create(U, T.OCTETSTRING, false, keyIdentifier(publicKey)) },
    ...(issuer ? [{ name: 'authorityKeyIdentifier', keyIdentifier: issuer.keyId }] : []),
    ...(spec.dnsName ? [{ name: 'subjectAltName', altNames: [{ type: 2, value: spec.dnsName }] }] : []),
  ]);
  const subject = pki.distinguishedNameToAsn1(holder.subject);
  const spkiDer = publicKey.export({ type: 'spki', format: 'der' });
  // UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5).
  const time = (d: Date): Forge.asn1.Asn1 => (d.getUTCFullYear() >= 2050
    ? asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d))
    : asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d)));
  const extensionsToAsn1 = (pki as unknown as { certificateExtensionsToAsn1(exts: unknown[]): Forge.asn1.Asn1 }).certificateExtensionsToAsn1;
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, asn1.integerToDer(2).getBytes())]), // v3
    asn1.create(U, T.INTEGER, false, binary(serialBytes())),
    algorithm,
    issuer?.name ?? subject,
    seq([time(spec.notBefore), time(spec.notAfter)]),
    subject,
    // As exported, BIT STRING contents left alone (forge would otherwise parse an RSA key inside it).
    (asn1.fromDer as unknown as (der: string, options: { decodeBitStrings: boolean }) => Forge.asn1.Asn1)(binary(spkiDer), { decodeBitStrings: false }),
    extensionsToAsn1((holder as unknown as { extensions: unknown[] }).extensions),
  ]);
  const signature = sign('sha256', bytes(asn1.toDer(tbs).getBytes()), signingKey);
  const der = bytes(asn1.toDer(seq([tbs, algorithm, asn1.create(U, T.BITSTRING, false, `\0${binary(signature)}`)])).getBytes());
  return { certPem: toPem('CERTIFICATE', der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}


/**
 * A signing-only ECDSA P-256 CA certificate, the profile of step's `root-ca` / `intermediate-ca`
 * (Linkerd's trust anchor and identity issuer): `critical, CA:true` with `pathLen`,
 * `critical, keyCertSign, cRLSign`, no extended key usage, subject (and authority) key identifiers.
 * Self-signed without `issuer`. `notAfterCap` cuts the validity at the issuer's expiry.
 */
export interface SigningCaOptions {
  readonly commonName: string;
  readonly days: number;
  readonly pathLen: number;
  readonly issuer?: KeyPairPem;
  readonly now?: Date;
  readonly notAfterCap?: Date;
}

export async function createSigningCa(opts: SigningCaOptions): Promise<KeyPairPem> {
  const { notBefore, notAfter: uncapped } = validity({ keyType: 'ecdsa-p256', days: opts.days, ...(opts.now ? { now: opts.now } : {}) });
  const notAfter = opts.notAfterCap && opts.notAfterCap < uncapped ? opts.notAfterCap : uncapped;
  return caCertificate({
    subject: [['CN', opts.commonName]], notBefore, notAfter, keyType: 'ecdsa-p256', pathLen: opts.pathLen, usages: SIGNING_CA_USAGES, issuer: opts.issuer,
  });
}
