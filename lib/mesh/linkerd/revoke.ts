/**
 * What a key that left the fleet could read in Linkerd's store and what stays valid on the live
 * clusters: the remote-access tokens of the clusters it linked to, its identity issuer (trusted by
 * the anchor until it expires), the trust anchor key.
 */
import { X509Certificate } from 'node:crypto';
import { shellFlag } from '../../format/shell';
import type { RevocationInput } from '../../contracts/mesh';
import { ANCHOR_KEY, credentialsPath, CREDENTIAL_NAMESPACES, issuerCertPath, issuerSecretPath, MULTICLUSTER_NAMESPACE } from './ca';
import { credentialsName, remoteAccessToken } from './link';
import { linkGeneration, readTokens } from '../../pki/tokens';

/** `<cluster>/…` belongs to it; `links/<to>/…-<from>…` to both ends. */
export function linkerdClustersOf(path: string): string[] {
  const parts = path.split('/');
  if (parts.length === 1) return [];
  if (parts[0] !== 'links') return [parts[0]!];
  if (parts.length !== 3) return parts.length === 2 ? [] : [parts[1]!];
  const m = /^link-(.+)\.yaml$/.exec(parts[2]!) ?? /^cluster-credentials-(.+?)(\.linkerd)?\.sops\.yaml$/.exec(parts[2]!);
  return m ? [parts[1]!, m[1]!] : [parts[1]!];
}

const newAnchor = (): string =>
  `\`npm run pki -- rotate-root begin\`, then \`next\` and \`finish\`, a synth and a commit after each (every cluster trusts both anchors until all have moved, so no link drops; ` +
  'dist/README.md, "Rotating certificates", says what to wait for between phases)';

export function linkerdRevocationSteps(input: RevocationInput): string[] {
  const { fleet, holder, left, readable, read, pkiLabel } = input;
  const steps: string[] = [];
  const anchorReadable = readable.includes(ANCHOR_KEY);
  if (anchorReadable) steps.push(`The trust anchor key (\`${pkiLabel}/${ANCHOR_KEY}\`) was readable: with it anyone can issue identities every cluster trusts. Replace the anchor: ${newAnchor()}.`);
  const generation = linkGeneration(readTokens(read, pkiLabel));
  for (const from of fleet.clusters) {
    const paths = fleet.clusters.map((to) => to.name).concat(holder).flatMap((to) => CREDENTIAL_NAMESPACES.map((ns) => credentialsPath(to, from.name, ns)));
    if (!paths.some((p) => readable.includes(p))) continue;
    steps.push(`Rotate ${from.name}'s remote-access token (carried by ${credentialsName(from.name)}): ` +
      `\`kubectl ${shellFlag('--context', from.context)} --namespace=${MULTICLUSTER_NAMESPACE} delete secret ${remoteAccessToken(generation)}\` (the old token stops working), ` +
      // The first token is the chart's; later ones are meshfleet's, re-applied by mesh-config.
      (generation === 1
        ? `re-create it from the release (\`helm ${shellFlag('--kube-context', from.context)} --namespace=${MULTICLUSTER_NAMESPACE} get manifest linkerd-multicluster | kubectl ${shellFlag('--context', from.context)} apply -f -\`), `
        : 'let the mesh-config stage re-create it with a new token, ') +
      'then `npm run link`, `npm run synth`, commit.');
  }
  if (!anchorReadable) {
    if (left && readable.includes(issuerSecretPath(holder))) {
      let until = 'its expiry';
      const pem = read(issuerCertPath(holder));
      if (pem) until = new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10);
      steps.push(`${holder}'s identity issuer (\`${pkiLabel}/${issuerCertPath(holder)}\`, removed from the store) stays trusted by the trust anchor until ${until}. To distrust it sooner, replace the anchor: ${newAnchor()}.`);
    }
    // Every cluster of the fleet whose issuer key it could open, whoever held it.
    for (const c of fleet.clusters) {
      if (!readable.includes(issuerSecretPath(c.name))) continue;
      steps.push(`Rotate ${c.name}'s identity issuer, whose key the old key could read: \`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate ${c.name}\`, then \`npm run synth\` and commit.`);
    }
  }
  if (steps.length === 0) steps.push('Nothing it could read is valid on a live cluster: mark it done.');
  return steps;
}
