/**
 * Argo CD: one hub (the cluster Argo CD runs in) delivers to every cluster of the fleet, each
 * registered with `argocd cluster add <context> --name <cluster>`. Per cluster:
 *
 *   argocd/<cluster>.yaml                  the root Application (app of apps) on the hub, pointing at …
 *   clusters/<cluster>/<stage>.yaml        one Application per stage: manifests/<cluster>/<stage>/ → the cluster
 *   clusters/<cluster>/<stage>-<release>.yaml   one Application per Helm chart, a Helm source
 *
 * Applications rather than an ApplicationSet: every stage and chart needs its own sync wave,
 * source type (git folder or Helm chart), ignoreDifferences and sync options, which one
 * ApplicationSet template with a git directory generator cannot express without per-directory
 * config files; explicit Applications are also what `npm run diff` and the schema check can see.
 *
 * Order: sync waves in the root Application, stage index × 10 (the same order as Flux's stages);
 * inside a stage, its manifests first (wave +0: namespaces, CRDs of earlier stages are healthy by
 * then), then its charts, each one wave after the charts it depends on; a chart whose workloads
 * need a later stage (`HelmInstall.readyAfter`) right after that stage's manifests. Argo CD waits for a wave
 * to be healthy before the next only when the argocd-cm Application health check is configured
 * (Argo CD ≥ 1.8 no longer assesses child Applications by default): dist/README.md says how.
 *
 * Helm charts are Applications on the hub, not objects in the cluster, so manifests/<cluster>/
 * <stage>/ holds exactly the Kubernetes objects the cluster gets: a fleet rendered with Flux and
 * with Argo CD differs only in delivery objects. SOPS-encrypted objects are decrypted by KSOPS in
 * the hub's repo-server: a stage folder lists them in a KSOPS generator, not under resources.
 */
import { Chart, type App } from 'cdk8s';
import { Application, type ApplicationSpec, type ApplicationSpecIgnoreDifferences } from '../../../imports/argocd-application-argoproj.io';
import type { KubeObject, RuntimeField } from '../../kube';
import { STAGES, type StageName } from '../../contracts/stages';
import { shellWord } from '../../format/shell';
import { argocdPruneNotices } from './prune';
import { HELM_REPOSITORY_LABEL, releaseOf } from './release';
import type { DeliveryInput, GitOpsEngine, HelmInstall, StageKustomization } from '../../contracts/engine';

/** The namespace Argo CD runs in on the hub, and the project its Applications belong to. */
export const ARGOCD_NAMESPACE = 'argocd';
export const PROJECT = 'default';
export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';
/** Labels on every child Application: its cluster and stage (`argocd app list -l meshfleet.io/stage=mesh`). */
export const CLUSTER_LABEL = 'meshfleet.io/cluster';
export const STAGE_LABEL = 'meshfleet.io/stage';
/** The KSOPS generator file of a stage with SOPS-encrypted objects. */
export const KSOPS_GENERATOR = 'ksops-generator.yaml';

/**
 * Argo CD sync options for an object merged into one another manager owns: server-side apply of
 * just the fields we set (Argo CD: "ServerSideApply can also be used to patch existing resources
 * by providing a partial YAML"), never pruned, never deleted with the Application.
 */
export const MERGE_NEVER_PRUNE = { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false,Delete=false' } as const;

const STAGE_WAVE_STEP = 10;

const stageIndex = (stage: StageName): number => STAGES.findIndex((s) => s.name === stage);

export const argocd: GitOpsEngine = {
  name: 'argocd',
  title: 'Argo CD',
  pins: { 'Argo CD API': 'argoproj.io/v1alpha1 Application (CRD of Argo CD v3.5.1)' },
  // Charts are Applications on the hub (deliver), never objects in the cluster's stage folder.
  helmChart: () => undefined,
  mergePatchAnnotations: MERGE_NEVER_PRUNE,
  neverPruneAnnotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false,Delete=false' },
  chartValues(obj) {
    if (!obj.apiVersion.startsWith('argoproj.io/') || obj.kind !== 'Application') return undefined;
    const source = (obj.spec as { source?: { chart?: string; targetRevision?: string; helm?: { valuesObject?: unknown } } } | undefined)?.source;
    return source?.chart && source.targetRevision ? { chart: source.chart, version: source.targetRevision, values: source.helm?.valuesObject ?? {} } : undefined;
  },
  releaseOf,
  deliver,
  pruneNotices: argocdPruneNotices,
  stageKustomization,
  readme: {
    readyCommand: (cluster) => `argocd app list -l ${CLUSTER_LABEL}=${cluster.name}`,
    runbookBootstrap: (order) => `**Bootstrap**: set up the Argo CD hub once (its \`sops-age\` Secret and KSOPS), register each cluster and apply its root Application, in this order: ${order.map((c) => `\`${c}\``).join(', ')} ("Bootstrap" below).`,
    resyncCommand: (cluster, stage) => `argocd app sync ${cluster.name}-${stage}`,
    clusterPath: (cluster) => `clusters/${cluster}`,
    fieldManager: 'argocd-controller',
    chartObject: 'Application',
    inCluster: false,
    adoptsRelease: (release) => `The chart's Application renders the same chart and applies it over the installed objects (server-side), ` +
      `managing them from then on. The bootstrap's Helm release record \`${release}\` stays behind, unused: never \`helm upgrade\` or ` +
      '`helm uninstall` it (an uninstall would delete what Argo CD now manages).',
    stagesIntro: 'Every cluster\'s stages are Argo CD Applications on the hub, children of the cluster\'s root Application ' +
      '`argocd/<cluster>.yaml`, ordered by sync wave: stage index × 10, in this order; a stage\'s Helm charts are ' +
      'Applications of their own one wave after its manifests, each after the charts it depends on; a chart whose workloads ' +
      'can only become ready after a later stage comes right after that stage\'s manifests. Argo CD starts a wave ' +
      'only when the one before it is healthy (with the Application health check below). Stages with nothing to apply on ' +
      'a cluster are left out and the order skips over them.',
    bootstrap,
  },
};

/** The Application fields every child shares: the hub's project, automated sync, retries. */
function syncPolicy(extra: readonly string[]): NonNullable<ApplicationSpec['syncPolicy']> {
  return {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['ServerSideApply=true', ...extra],
    retry: { limit: 5, backoff: { duration: '30s', factor: 2, maxDuration: '5m' } },
  };
}

/** Waves of a stage's charts: one after its manifests, each after the charts it depends on (same stage). */
function chartWaves(charts: readonly HelmInstall[], base: number): Map<HelmInstall, number> {
  const byName = new Map(charts.map((c) => [`${c.namespace}/${c.name}`, c]));
  const depth = new Map<HelmInstall, number>();
  const visit = (c: HelmInstall, seen: Set<HelmInstall>): number => {
    if (depth.has(c)) return depth.get(c)!;
    if (seen.has(c)) throw new Error(`Helm charts depend on each other in a cycle: ${c.namespace}/${c.name}`);
    seen.add(c);
    const deps = (c.dependsOn ?? []).map((d) => byName.get(`${c.namespace}/${d}`)).filter((d): d is HelmInstall => d !== undefined);
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((x) => visit(x, seen)));
    depth.set(c, d);
    return d;
  };
  // A chart whose workloads need a later stage (readyAfter) comes right after that stage's
  // manifests: Argo CD waits for every wave to be healthy, and an earlier wave would hold back
  // what its workloads are waiting for (an Istio remote's gateway and the reader token `npm run link` reads).
  const after = (c: HelmInstall): number => (c.readyAfter ? stageIndex(c.readyAfter) * STAGE_WAVE_STEP + 1 : 0);
  return new Map(charts.map((c) => [c, Math.max(base + 1 + visit(c, new Set()), after(c))]));
}

function deliver(app: App, input: DeliveryInput): [string, KubeObject][] {
  const { fleet } = input;
  const cluster = input.cluster.name;
  const chart = new Chart(app, `${cluster}--argocd`, { disableResourceNameHashes: true });
  const prefix = input.repoPath ? `${input.repoPath}/` : '';
  const out: [string, string][] = [];
  const add = (file: string, name: string, stage: StageName, wave: number, spec: ApplicationSpec, labels: Record<string, string> = {}): void => {
    new Application(chart, file, {
      metadata: {
        name, namespace: ARGOCD_NAMESPACE,
        labels: { [CLUSTER_LABEL]: cluster, [STAGE_LABEL]: stage, ...labels },
        annotations: { [SYNC_WAVE]: String(wave) },
        // Deleting the Application deletes what it applied (cascade), as Flux's prune does.
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec,
    });
    out.push([file, name]);
  };
  for (const stage of STAGES.map((s) => s.name)) {
    const objs = input.stages.get(stage);
    const charts = input.charts.get(stage) ?? [];
    if (!objs) continue;
    const base = stageIndex(stage) * STAGE_WAVE_STEP;
    if (objs.length > 0) {
      add(`clusters/${cluster}/${stage}.yaml`, `${cluster}-${stage}`, stage, base, {
        project: PROJECT,
        source: { repoUrl: fleet.gitops.repoURL, targetRevision: fleet.gitops.branch, path: `${prefix}manifests/${cluster}/${stage}` },
        destination: { name: cluster },
        syncPolicy: syncPolicy([]),
      });
    }
    const waves = chartWaves(charts, base);
    for (const c of charts) {
      const oci = c.repository.url.startsWith('oci://');
      add(`clusters/${cluster}/${stage}-${c.name}.yaml`, `${cluster}-${stage}-${c.name}`, stage, waves.get(c)!, {
        project: PROJECT,
        source: {
          // Argo CD takes an OCI Helm repository without its scheme.
          repoUrl: oci ? c.repository.url.slice('oci://'.length) : c.repository.url,
          chart: c.chart,
          targetRevision: c.version,
          helm: {
            releaseName: c.name,
            ...(c.values && Object.keys(c.values).length > 0 ? { valuesObject: c.values } : {}),
          },
        },
        destination: { name: cluster, namespace: c.namespace },
        // Only what this chart's objects need: the fields something in the cluster sets after the install.
        ...(c.runtimeFields && c.runtimeFields.length > 0 ? { ignoreDifferences: c.runtimeFields.map(ignoreDifference) } : {}),
        // RespectIgnoreDifferences: a sync leaves the fields above as the controllers set them.
        syncPolicy: syncPolicy(['RespectIgnoreDifferences=true']),
      }, { [HELM_REPOSITORY_LABEL]: c.repository.name });
    }
  }
  const byName = new Map((chart.toJson() as KubeObject[]).map((o) => [o.metadata!.name!, o]));
  const children: [string, KubeObject][] = out.map(([file, name]) => [file, byName.get(name)!]);
  // The root Application (on the hub, in-cluster) that applies the cluster's child Applications.
  const root = new Chart(app, `${cluster}--argocd-root`, { disableResourceNameHashes: true });
  new Application(root, 'root', {
    metadata: { name: cluster, namespace: ARGOCD_NAMESPACE, labels: { [CLUSTER_LABEL]: cluster } },
    spec: {
      project: PROJECT,
      source: { repoUrl: fleet.gitops.repoURL, targetRevision: fleet.gitops.branch, path: `${prefix}clusters/${cluster}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });
  return [[`argocd/${cluster}.yaml`, (root.toJson() as KubeObject[])[0]!], ...children];
}

function ignoreDifference(f: RuntimeField): ApplicationSpecIgnoreDifferences {
  return {
    group: f.group, kind: f.kind, ...(f.name ? { name: f.name } : {}),
    ...(f.jsonPointers ? { jsonPointers: [...f.jsonPointers] } : {}),
    ...(f.jqPathExpressions ? { jqPathExpressions: [...f.jqPathExpressions] } : {}),
  };
}

/** SOPS-encrypted files go to a KSOPS generator (decrypted in the repo-server), the rest under resources. */
function stageKustomization(entries: readonly (readonly [string, KubeObject])[]): StageKustomization {
  const encrypted = entries.filter(([, obj]) => obj.sops !== undefined).map(([file]) => file);
  const resources = entries.filter(([, obj]) => obj.sops === undefined).map(([file]) => file);
  if (encrypted.length === 0) {
    return { kustomization: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources }, files: [] };
  }
  return {
    kustomization: {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      ...(resources.length > 0 ? { resources } : {}),
      generators: [KSOPS_GENERATOR],
    },
    files: [[KSOPS_GENERATOR, {
      apiVersion: 'viaduct.ai/v1',
      kind: 'ksops',
      metadata: {
        name: 'sops-encrypted',
        annotations: { 'config.kubernetes.io/function': 'exec:\n  path: ksops\n' },
      },
      files: encrypted,
    }]],
  };
}

const HEALTH_LUA = [
  'hs = {}',
  'hs.status = "Progressing"',
  'hs.message = ""',
  'if obj.status ~= nil then',
  '  if obj.status.health ~= nil then',
  '    hs.status = obj.status.health.status',
  '    if obj.status.health.message ~= nil then',
  '      hs.message = obj.status.health.message',
  '    end',
  '  end',
  'end',
  'return hs',
];

function bootstrap(fleet: DeliveryInput['fleet'], dist: string): string[] {
  return [
    'On the Argo CD hub (Argo CD 3.0 or later; `kubectl` pointed at the hub), once:',
    '',
    '1. Let sync waves wait for child Applications to be healthy (Argo CD no longer assesses them by default), and let kustomize run KSOPS:',
    '',
    '```sh',
    'kubectl -n argocd patch configmap argocd-cm --type merge -p "$(cat <<\'EOF\'',
    'data:',
    '  kustomize.buildOptions: --enable-alpha-plugins --enable-exec',
    '  resource.customizations.health.argoproj.io_Application: |',
    ...HEALTH_LUA.map((l) => `    ${l}`),
    'EOF',
    ')"',
    '```',
    '',
    '2. KSOPS in the repo-server, with the age identities that open the clusters\' secrets. Argo CD decrypts on the hub, so the hub ' +
      'holds the identity of every cluster (one file, one identity per line); never give it an operator identity, which also opens the CA store\'s root key:',
    '',
    '```sh',
    `cat ${fleet.clusters.map((c) => `${c.name}.agekey`).join(' ')} > keys.txt`,
    'kubectl -n argocd create secret generic sops-age --from-file=keys.txt=keys.txt && rm keys.txt',
    'kubectl -n argocd patch deployment argocd-repo-server --type strategic -p "$(cat <<\'EOF\'',
    'spec:',
    '  template:',
    '    spec:',
    '      initContainers:',
    '        - name: install-ksops',
    '          image: viaductoss/ksops:v4.3.3',
    '          command: ["/bin/sh", "-c"]',
    '          args: ["mv ksops /custom-tools/ && mv kustomize /custom-tools/"]',
    '          volumeMounts: [{name: custom-tools, mountPath: /custom-tools}]',
    '      containers:',
    '        - name: argocd-repo-server',
    '          env: [{name: SOPS_AGE_KEY_FILE, value: /.config/sops/age/keys.txt}]',
    '          volumeMounts:',
    '            - {name: custom-tools, mountPath: /usr/local/bin/kustomize, subPath: kustomize}',
    '            - {name: custom-tools, mountPath: /usr/local/bin/ksops, subPath: ksops}',
    '            - {name: sops-age, mountPath: /.config/sops/age}',
    '      volumes:',
    '        - {name: custom-tools, emptyDir: {}}',
    '        - {name: sops-age, secret: {secretName: sops-age}}',
    'EOF',
    ')"',
    '```',
    '',
    '3. Register each cluster under its fleet name (the Applications\' `destination.name`), then apply its root Application:',
    '',
    '```sh',
    ...fleet.clusters.flatMap((c) => [
      `argocd cluster add ${shellWord(c.context)} --name ${shellWord(c.name)} --yes`,
      `kubectl -n argocd apply -f ${shellWord(`${dist}argocd/${c.name}.yaml`)}`,
    ]),
    '```',
    '',
    'Argo CD must be able to read the repository (`argocd repo add ' + shellWord(fleet.gitops.repoURL) + '` with a token or deploy key when it is private).',
    '',
    'Verify delivery: every Application `Synced` and `Healthy`, stage by stage:',
    '',
    '```sh',
    'argocd app list -l meshfleet.io/cluster',
    ...fleet.clusters.map((c) => `argocd app wait -l ${shellWord(`meshfleet.io/cluster=${c.name}`)} --sync --health --timeout 1800`),
    '```',
    '',
    '**Before a cluster leaves the fleet** (or is renamed): once its folder is gone, its root Application fails and nothing is deleted ' +
      'until you delete its Applications; each child Application\'s `resources-finalizer.argocd.argoproj.io` then deletes what it deployed. ' +
      'To detach the cluster and keep its workloads, remove the finalizers first: ' +
      '`kubectl -n argocd get applications -l meshfleet.io/cluster=<cluster> -o name | xargs -I{} kubectl -n argocd patch {} --type=json -p=\'[{"op":"remove","path":"/metadata/finalizers"}]\'`, ' +
      'then `kubectl -n argocd delete applications -l meshfleet.io/cluster=<cluster>` and `argocd cluster rm <cluster>`. synth and `npm run diff` warn about every such deletion.',
  ];
}
