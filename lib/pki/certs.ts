/**
 * Istio plug-in CA certificates to the profile of Istio's tools/certs (common.mk,
 * Makefile.selfsigned.mk): SHA-256; root `O=Istio, CN=Root CA`, `critical, CA:true`;
 * per-cluster intermediate `O=Istio, CN=Intermediate CA, L=<cluster>`, `critical, CA:true,
 * pathlen:0`, SAN `DNS:istiod.istio-system.svc`; both `critical, digitalSignature, nonRepudiation,
 * keyEncipherment, keyCertSign` and a subject key identifier.
 *
 * RSA 4096 (Istio's default) is made with node-forge, whose key generation runs on Node's native
 * crypto in the background, so keys are generated concurrently. ECDSA P-256, which node-forge
 * cannot do, is made with @peculiar/x509 on WebCrypto. Private keys are PKCS#8 PEM.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
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

const DAY_MS = 24 * 60 * 60 * 1000;
const ECDSA = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * The certificate libraries, loaded on first use: they take a tenth of a second to load, and only
 * the commands that create certificates (first synth, pki rotation) need them.
 */
let libs: Promise<{ x509: typeof X509; forge: typeof Forge }> | undefined;
function certLibs(): Promise<{ x509: typeof X509; forge: typeof Forge }> {
  libs ??= (async () => {
    await import('reflect-metadata'); // @peculiar/x509's dependency injection needs it first
    const [x509, forge] = await Promise.all([import('@peculiar/x509'), import('node-forge')]);
    x509.cryptoProvider.set(webcrypto as never);
    return { x509, forge: forge.default };
  })();
  return libs;
}

function validity(opts: CertOptions): { notBefore: Date; notAfter: Date } {
  const notBefore = new Date(Math.floor((opts.now ?? new Date()).getTime() / 1000) * 1000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + opts.days * DAY_MS) };
}

/** A positive 128-bit serial as hex. */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

/** A self-signed CA; `subject` defaults to Istio's root (other meshes name their own). */
export async function createRoot(opts: CertOptions, subject: readonly (readonly [string, string])[] = ROOT_SUBJECT): Promise<KeyPairPem> {
  return opts.keyType === 'rsa-4096' ? forgeCert(opts, subject, undefined) : ecdsaCert(opts, subject, undefined);
}

export async function createIntermediate(cluster: string, root: KeyPairPem, opts: CertOptions): Promise<KeyPairPem> {
  const subject = intermediateSubject(cluster);
  return opts.keyType === 'rsa-4096' ? forgeCert(opts, subject, root) : ecdsaCert(opts, subject, root);
}

function generateRsa(forge: typeof Forge): Promise<Forge.pki.rsa.KeyPair> {
  return new Promise((resolve, reject) => {
    forge.pki.rsa.generateKeyPair({ bits: 4096, e: 0x10001 }, (err, pair) => (err ? reject(err) : resolve(pair)));
  });
}

async function forgeCert(opts: CertOptions, subject: readonly (readonly [string, string])[], issuer: KeyPairPem | undefined): Promise<KeyPairPem> {
  const { forge } = await certLibs();
  const keys = await generateRsa(forge);
  const cert = forge.pki.createCertificate();
  const { notBefore, notAfter } = validity(opts);
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
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

async function ecdsaCert(opts: CertOptions, subject: readonly (readonly [string, string])[], issuer: KeyPairPem | undefined): Promise<KeyPairPem> {
  const subtle = webcrypto.subtle;
  const { x509 } = await certLibs();
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const name = subject.map(([k, v]) => `${k}=${v}`).join(', ');
  const { notBefore, notAfter } = validity(opts);
  const usages = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.keyCertSign;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(true, issuer ? 0 : undefined, true),
    new x509.KeyUsagesExtension(usages, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  return signEcdsa(keys, name, notBefore, notAfter, extensions, issuer, [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: INTERMEDIATE_SAN }])]);
}

/**
 * An ECDSA P-256 certificate for `keys`: self-signed without `issuer`, else signed by it with an
 * authority key identifier and `issuedExtensions` added. Returns PEM certificate and PKCS#8 key.
 */
/**
 * An issuer's certificate and imported key, parsed once per issuer: a new store signs every
 * cluster's intermediate with the same root, concurrently.
 */
const issuers = new WeakMap<KeyPairPem, Promise<{ issuerCert: X509.X509Certificate; issuerKey: webcrypto.CryptoKey }>>();
function parsedIssuer(issuer: KeyPairPem): Promise<{ issuerCert: X509.X509Certificate; issuerKey: webcrypto.CryptoKey }> {
  let parsed = issuers.get(issuer);
  if (!parsed) {
    parsed = (async () => {
      const { x509 } = await certLibs();
      const issuerKey = await webcrypto.subtle.importKey('pkcs8', pemBody(issuer.keyPem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
      return { issuerCert: new x509.X509Certificate(issuer.certPem), issuerKey };
    })();
    issuers.set(issuer, parsed);
  }
  return parsed;
}

async function signEcdsa(
  keys: webcrypto.CryptoKeyPair, name: string, notBefore: Date, notAfter: Date, extensions: X509.Extension[],
  issuer: KeyPairPem | undefined, issuedExtensions: X509.Extension[] = [],
): Promise<KeyPairPem> {
  const subtle = webcrypto.subtle;
  const { x509 } = await certLibs();
  let cert: X509.X509Certificate;
  if (issuer) {
    const { issuerCert, issuerKey } = await parsedIssuer(issuer);
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(), subject: name, issuer: issuerCert.subject, notBefore, notAfter,
      signingAlgorithm: ECDSA, publicKey: keys.publicKey, signingKey: issuerKey,
      extensions: [...extensions, await x509.AuthorityKeyIdentifierExtension.create(issuerCert, false), ...issuedExtensions],
    });
  } else {
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(), name, notBefore, notAfter, signingAlgorithm: ECDSA, keys, extensions,
    });
  }
  const pkcs8 = Buffer.from(await subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: `${cert.toString('pem').replace(/\r\n/g, '\n').trim()}\n`, keyPem: toPem('PRIVATE KEY', pkcs8) };
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
  const subtle = webcrypto.subtle;
  const { x509 } = await certLibs();
  const keys = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const { notBefore, notAfter: uncapped } = validity({ keyType: 'ecdsa-p256', days: opts.days, ...(opts.now ? { now: opts.now } : {}) });
  const notAfter = opts.notAfterCap && opts.notAfterCap < uncapped ? opts.notAfterCap : uncapped;
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(true, opts.pathLen, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  return signEcdsa(keys, `CN=${opts.commonName}`, notBefore, notAfter, extensions, opts.issuer);
}
