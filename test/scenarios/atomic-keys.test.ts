/**
 * A certificate whose private key does not match it (what an interrupted `pki rotate` left before
 * transactions: a new ca-cert.pem beside the old encrypted key) is caught by `pki status`, synth,
 * `synth --check` and `check`, for all three CA stores, with and without an operator identity:
 *
 * - every Secret meshfleet writes with a key records its certificate's SHA-256 fingerprint in the
 *   plaintext, MAC-covered annotation meshfleet.io/certificate-sha256, checked without any identity;
 * - with an operator identity (SOPS_AGE_KEY_FILE), the Secret is decrypted and the certificate and
 *   the key's public half are compared — which also covers files written before the annotation.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { synth } from '../../lib/cli/synth';
import { createIntermediate, createRoot, createSigningCa } from '../../lib/pki/certs';
import { CERT_SHA256_ANNOTATION, encryptedFile } from '../../lib/pki/files';
import { decryptObject, recipientsOf, type Tree } from '../../lib/sops/sops';
import { editFleet, fixture, runMain, tempDir } from '../helpers';
import { fixtureExample } from '../mesh/cilium/fleet';

const run = (argv: string[], identity: boolean): ReturnType<typeof runMain> =>
  runMain(argv, { SOPS_AGE_KEY_FILE: identity ? join(fixture().dir, 'operator.agekey') : undefined });

const op = (): string[] => [fixture().operator.identity];
const read = (dir: string, path: string): string => readFileSync(join(dir, 'pki', path), 'utf8');
const decrypted = async (dir: string, path: string): Promise<Tree> => decryptObject(parse(read(dir, path)) as Tree, op());

/** A repository with a fresh store for `fleetText`, rendered once. */
async function repo(fleetText: string): Promise<string> {
  const dir = tempDir('meshfleet-keys-');
  writeFileSync(join(dir, 'fleet.yaml'), fleetText);
  await synth({ fleet: join(dir, 'fleet.yaml'), out: join(dir, 'dist'), check: false });
  return dir;
}

interface Case {
  readonly mesh: string;
  readonly fleet: () => string;
  /** Replaces one public certificate with one whose key the store does not hold; returns its store path and the fix named. */
  readonly breakIt: (dir: string) => Promise<{ cert: string; secret: string; repair: RegExp }>;
}

const cases: Case[] = [
  {
    mesh: 'istio',
    fleet: () => editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'ca'], d.createNode({ keyType: 'ecdsa-p256' })), fixture().fleetText),
    // Exactly what an interrupted rotate left: a new intermediate signed by the same root, its key lost.
    breakIt: async (dir) => {
      const root = (await decrypted(dir, 'root-key.sops.yaml')).stringData as Record<string, string>;
      const inter = await createIntermediate('kt-k2p', { certPem: root['root-cert.pem']!, keyPem: root['root-key.pem']! }, { keyType: 'ecdsa-p256', days: 30 });
      writeFileSync(join(dir, 'pki', 'kt-k2p', 'ca-cert.pem'), inter.certPem);
      writeFileSync(join(dir, 'pki', 'kt-k2p', 'cert-chain.pem'), inter.certPem + root['root-cert.pem']!);
      return { cert: 'kt-k2p/ca-cert.pem', secret: 'kt-k2p/cacerts.sops.yaml', repair: /run `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate kt-k2p`/ };
    },
  },
  {
    mesh: 'linkerd',
    fleet: () => editFleet((d) => d.setIn(['spec', 'mesh'], d.createNode({ type: 'linkerd', linkerd: { version: '2.18' } })), fixture().fleetText),
    breakIt: async (dir) => {
      const anchor = (await decrypted(dir, 'trust-anchor-key.sops.yaml')).stringData as Record<string, string>;
      const issuer = await createSigningCa({ commonName: 'identity.linkerd.cluster.local', pathLen: 0, days: 30, issuer: { certPem: anchor['tls.crt']!, keyPem: anchor['tls.key']! } });
      writeFileSync(join(dir, 'pki', 'nhn-nks', 'issuer.pem'), issuer.certPem);
      return { cert: 'nhn-nks/issuer.pem', secret: 'nhn-nks/identity-issuer.sops.yaml', repair: /run `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate nhn-nks`/ };
    },
  },
  {
    mesh: 'cilium',
    fleet: fixtureExample,
    // One CA for the fleet, self-signed: a CA certificate of another key in its place.
    breakIt: async (dir) => {
      const other = await createRoot({ keyType: 'ecdsa-p256', days: 30 }, [['CN', 'Cilium CA']]);
      writeFileSync(join(dir, 'pki', 'cilium-ca.pem'), other.certPem);
      return { cert: 'cilium-ca.pem', secret: 'cilium-ca-key.sops.yaml', repair: /restore the CA store's cilium-ca.pem and its encrypted copies from one commit/ };
    },
  },
];

describe.each(cases)('a certificate that does not match its key ($mesh)', ({ fleet, breakIt }) => {
  it('is caught by pki status, synth, synth --check and check, with and without an operator identity', async () => {
    const dir = await repo(fleet());
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    const outArgs = [...args, '--out', join(dir, 'dist')];
    // Fresh store: every key matches, with or without an identity.
    for (const identity of [false, true]) {
      const ok = await run(['pki', 'status', ...args], identity);
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(/key matches\n/);
      expect(ok.out).not.toMatch(/\bNO\b|unknown/);
    }
    const { cert, secret, repair } = await breakIt(dir);
    const fingerprint = new X509Certificate(read(dir, cert)).fingerprint256;
    for (const identity of [false, true]) {
      const status = await run(['pki', 'status', ...args], identity);
      expect(status.code).toBe(1);
      expect(status.out).toMatch(new RegExp(`^${cert.replace(/[.]/g, '\\.')} .* NO$`, 'm'));
      expect(status.out).toMatch(/need attention \(missing, not chaining to the root, expiring within 30 days, or not matching their key\)/);
      expect(status.out).toContain(`${cert} does not match its key in `);
      expect(status.out).toMatch(repair);
      for (const argv of [['synth', ...outArgs], ['synth', ...outArgs, '--check'], ['check', ...outArgs]]) {
        const r = await run(argv, identity);
        expect(r.code, argv.join(' ')).toBe(1);
        expect(r.err).toContain('does not match its private key:');
        expect(r.err).toContain(`/${cert} does not match its key in `);
        expect(r.err).toContain(fingerprint);
        expect(r.err).toMatch(repair);
        expect(r.err).toContain('Nothing was written.');
      }
    }
    expect((parse(read(dir, secret)) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[CERT_SHA256_ANNOTATION]).not.toBe(fingerprint);
  }, 120_000);
});

describe('a store written before meshfleet recorded fingerprints', () => {
  it('is checked by decrypting when an operator identity is present, and reported as unknown (not as fine) without one', async () => {
    const dir = await repo(cases[0]!.fleet());
    const args = ['--fleet', join(dir, 'fleet.yaml')];
    // kt-k2p's cacerts as an older meshfleet wrote it: no annotation.
    const path = 'kt-k2p/cacerts.sops.yaml';
    const plain = await decrypted(dir, path);
    const { annotations: _dropped, ...metadata } = plain.metadata as Record<string, unknown>;
    const legacy = await encryptedFile('# legacy\n', { ...plain, metadata }, recipientsOf(parse(read(dir, path)) as Tree));
    writeFileSync(join(dir, 'pki', path), legacy);
    const without = await run(['pki', 'status', ...args], false);
    expect(without.code).toBe(0);
    expect(without.out).toMatch(/^kt-k2p\/ca-cert\.pem .* unknown$/m);
    expect(without.out).toContain('key matches "unknown": the encrypted file was written before meshfleet recorded certificate fingerprints; set SOPS_AGE_KEY_FILE to an operator identity to compare by decrypting (`npm run pki -- rekey` records them).');
    const withId = await run(['pki', 'status', ...args], true);
    expect(withId.code).toBe(0);
    expect(withId.out).not.toMatch(/unknown/);
    // Now its certificate is replaced: only the identity can tell.
    const saved = ['kt-k2p/ca-cert.pem', 'kt-k2p/cert-chain.pem'].map((f) => [f, read(dir, f)] as const);
    await cases[0]!.breakIt(dir);
    const blind = await run(['pki', 'status', ...args], false);
    expect(blind.out).toMatch(/^kt-k2p\/ca-cert\.pem .* unknown$/m);
    const seen = await run(['pki', 'status', ...args], true);
    expect(seen.code).toBe(1);
    expect(seen.out).toMatch(/kt-k2p\/ca-cert\.pem does not match its key in \S*kt-k2p\/cacerts\.sops\.yaml \(kt-k2p\/cacerts\.sops\.yaml holds another certificate \(SHA-256 [0-9A-F:]+\) than kt-k2p\/ca-cert\.pem/);
    const synthWith = await run(['synth', ...args, '--out', join(dir, 'dist')], true);
    expect(synthWith.code).toBe(1);
    expect(synthWith.err).toMatch(/run `SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate kt-k2p`/);
    // Put back, then a rekey records the fingerprint, so that a synth without identities checks it from then on.
    for (const [f, text] of saved) writeFileSync(join(dir, 'pki', f), text);
    expect((await run(['pki', 'rekey', ...args], true)).code).toBe(0);
    expect((parse(read(dir, path)) as { metadata: { annotations: Record<string, string> } }).metadata.annotations[CERT_SHA256_ANNOTATION])
      .toBe(new X509Certificate(read(dir, 'kt-k2p/ca-cert.pem')).fingerprint256);
    const after = await run(['pki', 'status', ...args], false);
    expect(after.code, after.out).toBe(0);
    expect(after.out).not.toMatch(/unknown|\bNO\b/);
  }, 120_000);
});
