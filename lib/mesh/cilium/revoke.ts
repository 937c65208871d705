/**
 * Cilium keeps one CA for the fleet: any key that could read a copy of it could sign clustermesh
 * client certificates every clustermesh-apiserver accepts, so every cluster moves to a new CA.
 */
import { X509Certificate } from 'node:crypto';
import { shellFlag } from '../../format/shell';
import type { RevocationInput } from '../../contracts/mesh';
import { CA_CERT } from './ca';
import { CILIUM_CA_SECRET, CILIUM_NAMESPACE } from './values';

/** The Secrets the chart's certgen signs with the CA (clustermesh-apiserver and Hubble tls-cronjob configs). */
const CERTGEN_SECRETS = [
  'clustermesh-apiserver-server-cert', 'clustermesh-apiserver-admin-cert', 'clustermesh-apiserver-remote-cert', 'clustermesh-apiserver-local-cert',
  'clustermesh-apiserver-client-cert', 'hubble-server-certs', 'hubble-relay-client-certs', 'hubble-relay-server-certs',
];

export function ciliumClustersOf(path: string): string[] {
  const parts = path.split('/');
  return parts.length === 1 ? [] : [parts[0]!];
}

export function ciliumRevocationSteps(input: RevocationInput): string[] {
  const { fleet, readable, read, pkiLabel } = input;
  if (readable.length === 0) return ['Nothing it could read is valid on a live cluster: mark it done.'];
  const pem = read(CA_CERT);
  const until = pem ? new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10) : 'its expiry';
  return [
    `It could read the fleet's Cilium CA key (\`${pkiLabel}/${CA_CERT}\`, valid until ${until}): with it anyone can sign clustermesh client and server certificates every cluster accepts, ` +
    'and the clustermesh certificates it held stay valid until the CA changes. Every cluster moves to a new CA: ' +
    `move \`${pkiLabel}/\` aside, run \`npm run synth\` (a new Cilium CA), commit, and once every cluster has the new ${CILIUM_NAMESPACE}/${CILIUM_CA_SECRET} Secret, on each: ` +
    fleet.clusters.map((c) => `\`kubectl ${shellFlag('--context', c.context)} --namespace=${CILIUM_NAMESPACE} delete secret --ignore-not-found ${CERTGEN_SECRETS.join(' ')}\``).join(', ') +
    ', then re-run the certgen Job (or upgrade the cilium release) and restart the cilium agents and clustermesh-apiserver.',
  ];
}
