/**
 * Flux: one Kustomization per stage under dist/clusters/<cluster>/ (what `flux bootstrap --path`
 * points at), chained with dependsOn, `wait: true` and `prune: true`; Helm charts as
 * HelmRepository + HelmRelease; merge patches with server-side apply in Merge mode, never pruned.
 */
import { Chart, type App } from 'cdk8s';
import type { Construct } from 'constructs';
import {
  HelmRelease,
  HelmReleaseSpecChartSpecSourceRefKind,
} from '../../../imports/flux-helmrelease-helm.toolkit.fluxcd.io';
import { HelmRepository, HelmRepositorySpecType } from '../../../imports/flux-helmrepository-source.toolkit.fluxcd.io';
import {
  Kustomization,
  KustomizationSpecDecryptionProvider,
  KustomizationSpecSourceRefKind,
} from '../../../imports/flux-kustomization-kustomize.toolkit.fluxcd.io';
import type { KubeObject } from '../../kube';
import { shellFlag, shellWord } from '../../format/shell';
import { effectiveDependencies } from '../../contracts/stages';
import { fluxPruneNotices } from './prune';
import { releaseOf } from './release';
import type { DeliveryInput, GitOpsEngine, HelmInstall } from '../../contracts/engine';

/** The namespace and GitRepository `flux bootstrap` creates; meshfleet only refers to them. */
export const FLUX_NAMESPACE = 'flux-system';
export const FLUX_SOURCE = 'flux-system';
/** The Secret holding the cluster's age identity (README: bootstrap). */
export const SOPS_AGE_SECRET = 'sops-age';

const LONG_STAGE_TIMEOUT = '15m';
const STAGE_TIMEOUT = '5m';

/** Flux annotations: merge into an object another manager owns, and never delete it. */
export const MERGE_NEVER_PRUNE = {
  'kustomize.toolkit.fluxcd.io/ssa': 'Merge',
  'kustomize.toolkit.fluxcd.io/prune': 'Disabled',
} as const;

export const flux: GitOpsEngine = {
  name: 'flux',
  title: 'Flux',
  helmChart,
  mergePatchAnnotations: MERGE_NEVER_PRUNE,
  neverPruneAnnotations: { 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' },
  chartValues(obj) {
    if (!obj.apiVersion.startsWith('helm.toolkit.fluxcd.io/') || obj.kind !== 'HelmRelease') return undefined;
    const spec = obj.spec as { chart?: { spec?: { chart: string; version: string } }; values?: unknown } | undefined;
    const chart = spec?.chart?.spec;
    return chart ? { chart: chart.chart, version: chart.version, values: spec?.values ?? {} } : undefined;
  },
  releaseOf,
  ownsPath(path) {
    const parts = path.split('/');
    return parts[0] === 'clusters' && parts[2] === 'flux-system';
  },
  deliver,
  pruneNotices: fluxPruneNotices,
  pins: { 'Flux APIs': [Kustomization.GVK, HelmRelease.GVK, HelmRepository.GVK].map((g) => `${g.apiVersion} ${g.kind}`).join(', ') },
  readme: {
    readyCommand: (cluster) => `flux ${shellFlag('--context', cluster.context)} get kustomizations`,
    runbookBootstrap: (order) => `**Bootstrap each cluster**, in this order: ${order.map((c) => `\`${c}\``).join(', ')} ("Bootstrap" below): its \`sops-age\` Secret, then \`flux bootstrap\`. ` +
      '`flux bootstrap` commits `clusters/<cluster>/flux-system/` to the repository and pushes it: `git pull` before your next commit.',
    resyncCommand: (cluster, stage) => `flux ${shellFlag('--context', cluster.context)} reconcile kustomization meshfleet-${stage}`,
    clusterPath: (cluster) => `clusters/${cluster}`,
    fieldManager: 'kustomize-controller',
    chartObject: 'HelmRelease',
    inCluster: true,
    adoptsRelease: (release) => `Its HelmRelease \`${release}\` adopts that release (same name and namespace) and upgrades it from then on.`,
    stagesIntro: 'Every cluster applies its stages in this order; each is a Flux Kustomization with `wait: true`, so a stage starts only when the one before it is healthy. Stages with nothing to apply on a cluster are left out and the order skips over them.',
    bootstrap: (fleet, dist) => [
      'Once per cluster, with the cluster\'s kubeconfig context. `<cluster>.agekey` is the age identity whose public key is the cluster\'s `ageRecipient` (keep it out of git):',
      '',
      '```sh',
      ...fleet.clusters.flatMap((c) => [
        `kubectl --context ${shellWord(c.context)} create namespace flux-system`,
        `kubectl --context ${shellWord(c.context)} -n flux-system create secret generic sops-age ${shellFlag('--from-file', `age.agekey=${c.name}.agekey`)}`,
        `flux bootstrap git ${shellFlag('--context', c.context)} ${shellFlag('--url', fleet.gitops.repoURL)} ${shellFlag('--branch', fleet.gitops.branch)} ${shellFlag('--path', `${dist}clusters/${c.name}`)}`,
      ]),
      '```',
      '',
      'Over HTTPS with a token instead of an SSH deploy key, add `--token-auth --username=<git user> --password="$GIT_TOKEN"` ' +
        '(or use `flux bootstrap github` / `flux bootstrap gitlab`, which read `GITHUB_TOKEN` / `GITLAB_TOKEN`). ' +
        'The token is stored in the cluster\'s `flux-system` Secret, never in this repository.',
      '',
      'After each bootstrap, follow the stages as Flux applies them, and see what failed when one stops:',
      '',
      '```sh',
      ...fleet.clusters.flatMap((c) => [
        `flux --context ${shellWord(c.context)} get kustomizations   # every stage Ready, in order (add --watch to follow)`,
        `flux --context ${shellWord(c.context)} get helmreleases --all-namespaces`,
      ]),
      '```',
      '',
      'A stage that stays `False`: `flux --context <context> events --for Kustomization/meshfleet-<stage>` names the object and the reason ' +
        '(a HelmRelease that timed out: `kubectl --context <context> -n <namespace> describe helmrelease <name>`; ' +
        '`decryption failed`: the `sops-age` Secret does not hold the identity of the cluster\'s `ageRecipient`).',
      '',
      '**Before a cluster leaves the fleet** (or is renamed), detach it: once its folder is gone, its Flux deletes the `meshfleet-*` ' +
        'Kustomizations, and their `prune: true` deletes the whole mesh there. To keep it running as it is, before you merge run ' +
        '`flux --context <context> suspend kustomization --all` (a suspended Kustomization is deleted without pruning) or ' +
        '`flux --context <context> uninstall --keep-namespace` (removes Flux, keeps the workloads). synth and `npm run diff` warn about every such deletion.',
    ],
  },
};

function helmChart(scope: Construct, props: HelmInstall): void {
  // Ready once applied: the stage after it (and what it enables, e.g. `npm run link`) must not wait for its workloads.
  const noWait = props.wait === false || props.readyAfter !== undefined;
  const repoId = `helm-repository--${props.repository.name}--${props.namespace}`;
  if (!scope.node.tryFindChild(repoId)) {
    new HelmRepository(scope, repoId, {
      metadata: { name: props.repository.name, namespace: props.namespace },
      spec: { interval: '1h', url: props.repository.url, ...(props.repository.url.startsWith('oci://') ? { type: HelmRepositorySpecType.OCI } : {}) },
    });
  }
  new HelmRelease(scope, `helm-release--${props.name}--${props.namespace}`, {
    metadata: { name: props.name, namespace: props.namespace },
    spec: {
      interval: '30m',
      releaseName: props.name,
      chart: {
        spec: {
          chart: props.chart,
          version: props.version,
          // The repository lives in the release's namespace, so no cross-namespace reference is needed.
          sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: props.repository.name, namespace: props.namespace },
        },
      },
      install: { ...(noWait ? { disableWait: true } : {}), remediation: { retries: 3 } },
      upgrade: { ...(noWait ? { disableWait: true } : {}), remediation: { retries: 3 } },
      ...(props.dependsOn && props.dependsOn.length > 0 ? { dependsOn: props.dependsOn.map((d) => (typeof d === 'string' ? { name: d } : { name: d.name, namespace: d.namespace })) } : {}),
      ...(props.values && Object.keys(props.values).length > 0 ? { values: props.values } : {}),
    },
  });
}

/**
 * Every Flux Kustomization meshfleet writes is named `meshfleet-<stage>`, so it cannot collide
 * with a user's own Kustomizations in flux-system. Files keep the stage name (clusters/<cluster>/<stage>.yaml).
 */
export const KUSTOMIZATION_PREFIX = 'meshfleet-';
export const kustomizationName = (stage: string): string => `${KUSTOMIZATION_PREFIX}${stage}`;

/** The Flux Kustomization of every stage that has content, chained with dependsOn. */
function deliver(app: App, input: DeliveryInput): [string, KubeObject][] {
  const cluster = input.cluster.name;
  const chart = new Chart(app, `${cluster}--flux`, { disableResourceNameHashes: true });
  const present = new Set(input.stages.keys());
  for (const [stage, objs] of input.stages) {
    const decrypt = objs.some((o) => o.sops !== undefined);
    const dependsOn = effectiveDependencies(stage, present);
    new Kustomization(chart, stage, {
      metadata: { name: kustomizationName(stage), namespace: FLUX_NAMESPACE },
      spec: {
        interval: input.fleet.gitops.interval,
        retryInterval: '1m',
        // Upper bound for apply + health checks; Helm installs and Jobs (a Cilium rollout) need more than plain manifests.
        timeout: objs.some((o) => o.kind === 'HelmRelease' || o.kind === 'Job') ? LONG_STAGE_TIMEOUT : STAGE_TIMEOUT,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: FLUX_SOURCE },
        path: `./${input.repoPath ? `${input.repoPath}/` : ''}manifests/${cluster}/${stage}`,
        prune: true,
        wait: true,
        ...(dependsOn.length > 0 ? { dependsOn: dependsOn.map((name) => ({ name: kustomizationName(name) })) } : {}),
        ...(decrypt
          ? { decryption: { provider: KustomizationSpecDecryptionProvider.SOPS, secretRef: { name: SOPS_AGE_SECRET } } }
          : {}),
      },
    });
  }
  return (chart.toJson() as KubeObject[]).map((obj) => [`clusters/${cluster}/${obj.metadata!.name!.slice(KUSTOMIZATION_PREFIX.length)}.yaml`, obj]);
}
