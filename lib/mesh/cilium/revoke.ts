/**
 * Cilium keeps one CA for the fleet: any key that could read a copy of it could sign clustermesh
 * client certificates every clustermesh-apiserver accepts, so every cluster moves to a new CA.
 */
import { X509Certificate } from 'node:crypto';
import type { RevocationInput } from '../../contracts/mesh';
import { CA_CERT } from './ca';

export function ciliumClustersOf(path: string): string[] {
  const parts = path.split('/');
  return parts.length === 1 ? [] : [parts[0]!];
}

export function ciliumRevocationSteps(input: RevocationInput): string[] {
  const { readable, read, pkiLabel } = input;
  if (readable.length === 0) return ['Nothing it could read is valid on a live cluster: mark it done.'];
  const pem = read(CA_CERT);
  const until = pem ? new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10) : 'its expiry';
  return [
    `It could read the fleet's Cilium CA key (\`${pkiLabel}/${CA_CERT}\`, valid until ${until}): with it anyone can sign clustermesh client and server certificates every cluster accepts, ` +
    'and the clustermesh certificates it held stay valid until the CA changes. Every cluster moves to a new CA: ' +
    '`npm run pki -- rotate-root begin`, then `next` and `finish`, a synth and a commit after each (every cluster trusts both CAs until all have moved, so no ClusterMesh connection drops; ' +
    'dist/README.md "Rotating certificates" says when certgen re-signs and what to wait for between phases).',
  ];
}
