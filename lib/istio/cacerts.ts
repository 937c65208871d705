/**
 * The plug-in CA: Secret istio-system/cacerts (ca-cert.pem, ca-key.pem, root-cert.pem,
 * cert-chain.pem), SOPS-encrypted to the cluster and the operators in pki/ and copied unchanged
 * into `mesh-prereqs`, which Flux applies before the stage that installs istiod — istiod reads
 * cacerts only when it first starts, and self-signs without it.
 */
import type { ClusterPlan } from '../plan';

export function addCacerts(plan: ClusterPlan): void {
  const ca = plan.pki?.clusters.get(plan.cluster.name);
  if (ca) plan.verbatim('mesh-prereqs', 'secret-cacerts.yaml', ca.cacerts);
}
