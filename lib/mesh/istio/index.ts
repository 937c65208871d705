/**
 * Istio from Istio's Helm charts, with a plug-in CA from one shared root: multi-primary on
 * different networks (seed 000), where every cluster runs its own istiod and a dedicated east-west
 * gateway, or primary-remote on the same or different networks (seed 001), where remote clusters
 * use the istiod of a primary through its east-west gateway. Primaries watch the other clusters'
 * API servers through remote secrets.
 */
import type { MeshModule } from '../../contracts/mesh';
import { addBookinfo } from '../../samples/bookinfo';
import { addHelloworldWithSleep } from '../../samples/helloworld';
import { istioCa, type IstioPki } from './ca';
import { istioClustersOf, istioRevocationSteps } from './revoke';
import { addIstio } from './control-plane';
import { isPrimaryRemote, istioClusterOf, istioOf, resolveIstio, resolveIstioCluster, watchersOf, type Istio, type IstioCluster } from './defaults';
import { addIstioctlFile } from './istioctl';
import { linkIstio } from './link';
import { istioReadme, istioRotation } from './readme';
import { addCacerts, addRemoteSecrets, linkStatus, readerTokenSecret } from './remote-secrets';
import { shellFlag } from '../../format/shell';
import { istioRules } from './rules';
import { istioUpgradePlan } from './canary-plan';
import { annotateSamplePods, canaryStep, istioControlPlaneMoves, istioReplacedStep, REVISION_ANNOTATION, revisionName, STABLE_TAG, stableOf, usesRevisions } from './revisions';
import { ISTIO_RELEASES, SUPPORTED_ISTIO_VERSIONS } from './releases';
import { oneMinorAtATime, releaseInUse } from '../../contracts/support';
import { compareVersions } from '../../format/semver';
import { istioClusterSchema, istioSchema } from './schema';
import { ISTIO_NAMESPACE } from './values';

export const istio: MeshModule<Istio, IstioCluster, IstioPki> = {
  type: 'istio',
  gatewayServiceType: true,
  schema: istioSchema,
  clusterSchema: istioClusterSchema,
  resolve: resolveIstio,
  resolveCluster: resolveIstioCluster,
  gatewayName: 'istio-eastwest',
  // Its own network (an Istio network: seed 000's network1, network2); a remote on its primary's shares it.
  networkOf: (m) => m.network,
  // istiod, or a revision of it (istiod-1-26).
  footprint: { project: 'Istio', kind: 'Deployment', namespace: ISTIO_NAMESPACE, name: 'istiod*', container: 'discovery', release: 'istiod' },
  releasesInUse: (fleet) => [releaseInUse(ISTIO_RELEASES, istioOf(fleet).version)],
  upgradePlan: istioUpgradePlan,
  controlPlaneMoves: istioControlPlaneMoves,
  replacedStep: (gone, added) => istioReplacedStep(gone, added),
  // base, istiod and gateway share Istio's version.
  // In place one minor at a time; under revisions (a canary) base and the gateway may skip one, as the canary does.
  upgradeStep: (_chart, from, to, fleet) => (usesRevisions(fleet)
    ? canaryStep(from, to)
    : oneMinorAtATime(ISTIO_RELEASES, from, to, 'istio.io, "In-place upgrade": the installed version must be no more than one minor below the upgrade version')),
  samplesPinnedBy: (i) => `spec.clusters[${i}].samples`,
  rules: istioRules,
  ca: { ...istioCa, clustersOf: istioClustersOf, revocationSteps: istioRevocationSteps, rootRotation: istioRotation },
  plan(plan) {
    addIstio(plan);
    addCacerts(plan);
    addRemoteSecrets(plan);
    // Under revisions the IstioOperator alternative would install one unrevisioned control plane: none is written.
    if (!usesRevisions(plan.fleet)) addIstioctlFile(plan);
    // Under revisions the samples select the stable tag, and restart onto it when it moves.
    const injection: Record<string, string> = usesRevisions(plan.fleet) ? { 'istio.io/rev': STABLE_TAG } : { 'istio-injection': 'enabled' };
    if (isPrimaryRemote(plan.fleet)) addHelloworldWithSleep(plan, istioClusterOf(plan.cluster).helloworld, injection);
    else addBookinfo(plan, istioClusterOf(plan.cluster).samples, injection);
    if (usesRevisions(plan.fleet)) annotateSamplePods(plan.stage('apps'), { [REVISION_ANNOTATION]: revisionName(stableOf(plan.fleet, plan.cluster)) });
  },
  link: {
    status: (fleet, pki) => linkStatus(fleet, pki),
    run: linkIstio,
    pendingHint: 'once the clusters run the mesh-config stage, run `npm run link`, then synth again.',
    tokens: {
      name: 'reader token',
      // The output drops the old generation's Secret: the engine deletes it, and with it the token.
      retireSteps: (fleet, generation) => fleet.clusters.filter((c) => watchersOf(fleet, c).length > 0).map((c) =>
        `\`kubectl ${shellFlag('--context', c.context)} --namespace=${ISTIO_NAMESPACE} get secret ${readerTokenSecret(generation)}\` answers NotFound once ${c.name} has synced (else delete it: its token would stay valid)`),
    },
  },
  readme: istioReadme,
  pins: { 'Istio (charts base, istiod, gateway)': SUPPORTED_ISTIO_VERSIONS.join(', ') },
  // base up to 1.27 marks every CRD keep but WorkloadGroup's; from 1.28 every one.
  charts: SUPPORTED_ISTIO_VERSIONS.flatMap((version) => ['base', 'istiod', 'gateway'].map((chart) => ({ chart, version, ...(chart === 'base' && compareVersions(version, '1.28.0') < 0 ? { uninstallDeletes: ['WorkloadGroup'] } : {}) }))),
};
