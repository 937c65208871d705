/**
 * Istio plug-in CA certificates to the profile of Istio's tools/certs (common.mk,
 * Makefile.selfsigned.mk): SHA-256; root `O=Istio, CN=Root CA`, `critical, CA:true`;
 * per-cluster intermediate `O=Istio, CN=Intermediate CA, L=<cluster>`, `critical, CA:true,
 * pathlen:0`, SAN `DNS:istiod.istio-system.svc`; both `critical, digitalSignature, nonRepudiation,
 * keyEncipherment, keyCertSign` and a subject key identifier.
 *
 * RSA 4096 (Istio's default) is made with node-forge, whose key generation runs on Node's native
 * crypto in the background, so keys are generated concurrently. ECDSA P-256, which node-forge
 * cannot do, is made synchronously: keys and signatures with node:crypto (OpenSSL), the
 * certificate's DER with @peculiar/asn1-x509's RFC 5280 schema. That costs about a millisecond a
 * certificate; WebCrypto through @peculiar/x509 took six (every key, digest and signature a
 * thread-pool job, and every certificate parsed back after signing), which made a 100-cluster
 * store miss its second. Private keys are PKCS#8 PEM.
 */
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type * as Asn1Schema from '@peculiar/asn1-schema';
import type * as Asn1X509 from '@peculiar/asn1-x509';
import type Forge from 'node-forge';

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
 * The certificate libraries, loaded on first use: only the commands that create certificates
 * (first synth, pki rotation) need them.
 */
interface Libs { readonly asn1: typeof Asn1Schema; readonly x509: typeof Asn1X509 }
let libs: Promise<Libs> | undefined;
function ecdsaLibs(): Promise<Libs> {
  libs ??= Promise.all([import('@peculiar/asn1-schema'), import('@peculiar/asn1-x509')]).then(([asn1, x509]) => ({ asn1, x509 }));
  return libs;
}
let forgeLib: Promise<typeof Forge> | undefined;
function forgeLibrary(): Promise<typeof Forge> {
  forgeLib ??= import('node-forge').then((m) => m.default);
  return forgeLib;
}

function validity(opts: CertOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + opts.days * DAY_MS) };
}

/**
 * A positive serial with 126 random bits, its first byte 0x40–0x7f: DER wants an INTEGER's
 * shortest form, and a first byte of zero is padding that OpenSSL rejects ("illegal padding").
 * node-forge writes the bytes as given, so a serial starting 00 (once in 512 certificates when only
 * the sign bit was cleared) made a certificate no tool could read.
 */
function serialBytes(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x3f) | 0x40;
  return bytes;
}

/** A self-signed CA; `subject` defaults to Istio's root (other meshes name their own). */
export async function createRoot(opts: CertOptions, subject: Subject = ROOT_SUBJECT): Promise<KeyPairPem> {
  return opts.keyType === 'rsa-4096' ? forgeCert(opts, subject, undefined) : istioEcdsaCert(opts, subject, undefined);
}

export async function createIntermediate(cluster: string, root: KeyPairPem, opts: CertOptions): Promise<KeyPairPem> {
  const subject = intermediateSubject(cluster);
  return opts.keyType === 'rsa-4096' ? forgeCert(opts, subject, root) : istioEcdsaCert(opts, subject, root);
}

function generateRsa(forge: typeof Forge): Promise<Forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: 4096, e: 0x10001 }, (err, pair) => (err ? reject(err) : resolve(pair)));
  });
}

async function forgeCert(opts: CertOptions, subject: Subject, issuer: KeyPairPem | undefined): Promise<KeyPairPem> {
  const forge = await forgeLibrary();
  const keys = await generateRsa(forge);
  const cert = forge.pki.createCertificate();
  const { notBefore, notAfter } = validity(opts);
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialBytes().toString('hex');
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const attrs = subject.map(([shortName, value]) => ({ shortName, value }));
  cert.setSubject(attrs);
  const issuerCert = issuer ? forge.pki.certificateFromPem(issuer.certPem) : undefined;
  cert.setIssuer(issuerCert ? issuerCert.subject.attributes : attrs);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: true, critical: true, ...(issuer ? { pathLenConstraint: 0 } : {}) },
    { name: 'keyUsage', critical: true, digitalSignature: true, nonRepudiation: true, keyEncipherment: true, keyCertSign: true },
    { name: 'subjectKeyIdentifier' },
  ];
  if (issuerCert) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuerCert.generateSubjectKeyIdentifier().getBytes() });
    extensions.push({ name: 'subjectAltName', altNames: [{ type: 2, value: INTERMEDIATE_SAN }] });
  }
  cert.setExtensions(extensions);
  const signingKey = issuer ? (forge.pki.privateKeyFromPem(issuer.keyPem) as Forge.pki.rsa.PrivateKey) : keys.privateKey;
  cert.sign(signingKey, forge.md.sha256.create());
  const keyPem = forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey)));
  return { certPem: forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n'), keyPem: keyPem.replace(/\r\n/g, '\n') };
}

/** Key usage bits, as RFC 5280 numbers them (the flags of @peculiar/asn1-x509's KeyUsage). */
const USAGE = { digitalSignature: 1, nonRepudiation: 2, keyEncipherment: 4, keyCertSign: 32, cRLSign: 64 } as const;
/** Istio's plug-in CA usages. */
const ISTIO_USAGES = USAGE.digitalSignature | USAGE.nonRepudiation | USAGE.keyEncipherment | USAGE.keyCertSign;

async function istioEcdsaCert(opts: CertOptions, subject: Subject, issuer: KeyPairPem | undefined): Promise<KeyPairPem> {
  return ecdsaCert({
    subject, ...validity(opts), pathLen: issuer ? 0 : undefined, usages: ISTIO_USAGES, issuer,
    ...(issuer ? { dnsName: INTERMEDIATE_SAN } : {}),
  }, await ecdsaLibs());
}

interface EcdsaCertSpec {
  readonly subject: Subject;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** `critical, CA:true` with this path length (none when undefined). */
  readonly pathLen: number | undefined;
  /** `critical` key usage bits. */
  readonly usages: number;
  /** Self-signed without an issuer. */
  readonly issuer: KeyPairPem | undefined;
  /** A DNS subject alternative name. */
  readonly dnsName?: string;
}

const ATTRIBUTE_OID: Readonly<Record<string, string>> = { CN: '2.5.4.3', L: '2.5.4.7', O: '2.5.4.10', OU: '2.5.4.11' };
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

/** A fresh ArrayBuffer holding exactly `b`'s bytes (asn1-schema takes ArrayBuffers). */
function arrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** An X.500 name, each attribute its own RDN; PrintableString where the value allows it, else UTF8String (as OpenSSL and @peculiar/x509 choose). */
function nameOf({ x509 }: Libs, subject: Subject): Asn1X509.Name {
  return new x509.Name(subject.map(([key, value]) => {
    const type = ATTRIBUTE_OID[key];
    if (!type) throw new Error(`certs: no OID for the name attribute ${key}`);
    const text = /^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value) ? { printableString: value } : { utf8String: value };
    return new x509.RelativeDistinguishedName([new x509.AttributeTypeAndValue({ type, value: new x509.AttributeValue(text) })]);
  }));
}

/**
 * An issuer's subject (as encoded in its certificate, so chains match byte for byte), key
 * identifier and private key, parsed once per issuer: a new store signs every cluster's
 * certificate with the same root.
 */
interface ParsedIssuer { readonly name: Asn1X509.Name; readonly keyId: ArrayBuffer; readonly key: KeyObject; readonly algorithm: Asn1X509.AlgorithmIdentifier }
const issuers = new WeakMap<KeyPairPem, ParsedIssuer>();
function parsedIssuer(libs: Libs, issuer: KeyPairPem): ParsedIssuer {
  let parsed = issuers.get(issuer);
  if (!parsed) {
    const { asn1, x509 } = libs;
    const tbs = asn1.AsnConvert.parse(pemBody(issuer.certPem), x509.Certificate).tbsCertificate;
    const skiExtension = tbs.extensions?.find((e) => e.extnID === x509.id_ce_subjectKeyIdentifier);
    const keyId = skiExtension
      ? arrayBuffer(new Uint8Array(asn1.AsnConvert.parse(skiExtension.extnValue, x509.SubjectKeyIdentifier).buffer))
      : keyIdentifier(tbs.subjectPublicKeyInfo);
    const key = createPrivateKey(issuer.keyPem);
    parsed = { name: tbs.subject, keyId, key, algorithm: signatureAlgorithm(libs, key) };
    issuers.set(issuer, parsed);
  }
  return parsed;
}

/** ecdsa-with-SHA256 for an EC key; sha256WithRSAEncryption (NULL parameters) for an RSA one. */
function signatureAlgorithm({ x509 }: Libs, key: KeyObject): Asn1X509.AlgorithmIdentifier {
  return key.asymmetricKeyType === 'rsa'
    ? new x509.AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null })
    : new x509.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
}

/** RFC 5280's key identifier: SHA-1 of the subjectPublicKey bits (what OpenSSL writes). */
function keyIdentifier(spki: Asn1X509.SubjectPublicKeyInfo): ArrayBuffer {
  return arrayBuffer(createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest());
}

/** An ECDSA P-256 CA certificate, its key generated and its signature made synchronously. */
function ecdsaCert(spec: EcdsaCertSpec, libs: Libs): KeyPairPem {
  const { asn1, x509 } = libs;
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = asn1.AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), x509.SubjectPublicKeyInfo);
  const issuer = spec.issuer ? parsedIssuer(libs, spec.issuer) : undefined;
  const algorithm = issuer?.algorithm ?? new x509.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const extension = (extnID: string, critical: boolean, value: object): Asn1X509.Extension =>
    new x509.Extension({ extnID, critical, extnValue: new asn1.OctetString(asn1.AsnConvert.serialize(value)) });
  const extensions = [
    extension(x509.id_ce_basicConstraints, true, new x509.BasicConstraints({ cA: true, ...(spec.pathLen === undefined ? {} : { pathLenConstraint: spec.pathLen }) })),
    extension(x509.id_ce_keyUsage, true, new x509.KeyUsage(spec.usages)),
    extension(x509.id_ce_subjectKeyIdentifier, false, new x509.SubjectKeyIdentifier(keyIdentifier(spki))),
  ];
  if (issuer) extensions.push(extension(x509.id_ce_authorityKeyIdentifier, false, new x509.AuthorityKeyIdentifier({ keyIdentifier: new x509.KeyIdentifier(issuer.keyId) })));
  if (spec.dnsName) extensions.push(extension(x509.id_ce_subjectAltName, false, new x509.SubjectAlternativeName([new x509.GeneralName({ dNSName: spec.dnsName })])));
  const subject = nameOf(libs, spec.subject);
  const tbsCertificate = new x509.TBSCertificate({
    version: x509.Version.v3,
    serialNumber: arrayBuffer(serialBytes()),
    signature: algorithm,
    issuer: issuer?.name ?? subject,
    validity: new x509.Validity({ notBefore: spec.notBefore, notAfter: spec.notAfter }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new x509.Extensions(extensions),
  });
  const signatureValue = sign('sha256', new Uint8Array(asn1.AsnConvert.serialize(tbsCertificate)), issuer?.key ?? privateKey);
  const der = Buffer.from(asn1.AsnConvert.serialize(new x509.Certificate({ tbsCertificate, signatureAlgorithm: algorithm, signatureValue: arrayBuffer(signatureValue) })));
  return { certPem: toPem('CERTIFICATE', der), keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
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
  return ecdsaCert({
    subject: [['CN', opts.commonName]], notBefore, notAfter, pathLen: opts.pathLen, usages: USAGE.keyCertSign | USAGE.cRLSign, issuer: opts.issuer,
  }, await ecdsaLibs());
}
