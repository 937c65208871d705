/**
 * What a key that left the fleet could read in Istio's store, and what stays valid on the live
 * clusters after git stops opening for it: the reader tokens of the clusters it watched (in their
 * remote secrets), its intermediate CA (trusted by the root until it expires), the root key.
 */
import { X509Certificate } from 'node:crypto';
import { shellFlag } from '../../format/shell';
import type { RevocationInput } from '../../contracts/mesh';
import { caCertPath, cacertsPath, linkPath, ROOT_KEY } from './ca';
import { readerTokenSecret, remoteSecretName } from './remote-secrets';
import { linkGeneration, readTokens } from '../../pki/tokens';
import { ISTIO_NAMESPACE } from './values';

/** `<cluster>/…` and `links/<cluster>.sops.yaml` belong to that cluster; the root files to the fleet. */
export function istioClustersOf(path: string): string[] {
  const parts = path.split('/');
  if (parts.length === 1) return [];
  if (parts[0] === 'links') return parts.length === 2 && parts[1]!.endsWith('.sops.yaml') ? [parts[1]!.slice(0, -'.sops.yaml'.length)] : [];
  return [parts[0]!];
}

const newRoot = (): string =>
  `\`npm run pki -- rotate-root begin\`, then \`next\` and \`finish\`, a synth and a commit after each (every cluster trusts the old and the new root until all have moved, so nothing stops; ` +
  'dist/README.md, "Rotating certificates", says what to wait for between phases)';

function notAfter(pem: string | undefined): string {
  if (!pem) return 'its expiry (the certificate is no longer in the store: see git history)';
  try {
    const cert = new X509Certificate(pem);
    return `${new Date(cert.validTo).toISOString().slice(0, 10)} (serial ${cert.serialNumber})`;
  } catch {
    return 'its expiry';
  }
}

export function istioRevocationSteps(input: RevocationInput): string[] {
  const { fleet, engine, holder, left, readable, read, pkiLabel } = input;
  const steps: string[] = [];
  const rootReadable = readable.includes(ROOT_KEY);
  if (rootReadable) steps.push(`The Istio root key (\`${pkiLabel}/${ROOT_KEY}\`) was readable: with it anyone can sign workload identities every cluster trusts. Replace the root: ${newRoot()}.`);
  for (const c of fleet.clusters) {
    if (!readable.includes(linkPath(c.name))) continue;
    steps.push(`Rotate ${c.name}'s reader token (carried by the remote secret ${remoteSecretName(c.name)}): ` +
      `\`kubectl ${shellFlag('--context', c.context)} --namespace=${ISTIO_NAMESPACE} delete secret ${readerTokenSecret(linkGeneration(readTokens(read, pkiLabel)))}\` (the old token stops working), ` +
      `let the mesh-config stage re-create it with a new token (\`${engine.readme.resyncCommand(c, 'mesh-config')}\`), ` +
      'then `npm run link`, `npm run synth`, commit.');
  }
  if (!rootReadable) {
    if (left && readable.includes(cacertsPath(holder))) {
      steps.push(`${holder}'s intermediate CA (\`${pkiLabel}/${caCertPath(holder)}\`, removed from the store) stays trusted by the root until ${notAfter(read(caCertPath(holder)))}: ` +
        `certificates it signs are accepted mesh-wide until then. To distrust it sooner, replace the root: ${newRoot()}.`);
    }
    // Every cluster of the fleet whose intermediate key it could open, whoever held it.
    for (const c of fleet.clusters) {
      if (!readable.includes(cacertsPath(c.name))) continue;
      steps.push(`Rotate ${c.name}'s intermediate CA, whose key the old key could read: \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate ${c.name}\`, ` +
        'then `npm run synth` and commit (istiod picks up a new intermediate from the same root without a restart).');
    }
  }
  if (steps.length === 0) steps.push('Nothing it could read is valid on a live cluster: mark it done.');
  return steps;
}
