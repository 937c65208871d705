/**
 * Cilium under Istio (seed 000 §6.3, clusters with cni: cilium). The guide runs
 * `kubectl edit cm cilium-config` and `kubectl rollout restart ds/cilium`; here:
 *
 * - provider-managed Cilium (e.g. Ncloud NKS): a partial cilium-config that the GitOps engine
 *   merges into the provider's ConfigMap and never prunes (Flux: server-side apply in Merge mode),
 *   so these keys are set without taking over or deleting the provider's ConfigMap; plus a Job that restarts the agents once per change of
 *   the patched values (its name carries their hash, so a new Job exists exactly when they change).
 * - self-managed Cilium: the same settings as Helm values, in a ConfigMap your Cilium HelmRelease
 *   reads with valuesFrom; rollOutCiliumPods makes Helm roll the agents.
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { KubeConfigMap, KubeJob, KubeRole, KubeRoleBinding, KubeServiceAccount, type Container } from '../../../imports/k8s';
import { BOOLEAN, type JsonSchema } from '../../fleet/schema';
import type { RawCluster, RawFleet } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import { toYaml } from '../../format/yaml';
import type { AddOn } from '../../contracts/addon';
import { CILIUM_AGENT } from '../../contracts/preflight';

const NAMESPACE = 'kube-system';
/** The mesh type these settings are for (spec.mesh.type; a name, not an import of the mesh). */
const ISTIO = 'istio';
export const RESTART_ACCOUNT = 'meshfleet-cilium-restart';
export const VALUES_CONFIGMAP = 'cilium-istio-values';
const KUBECTL_IMAGE = 'registry.k8s.io/kubectl:v1.32.0';

export const CILIUM_ISTIO_DEFAULTS = {
  /** The provider runs Cilium (patch its ConfigMap) rather than your own Helm release. @default true */
  ciliumManaged: true,
  /** Turn Cilium's L7 proxy off (seed 000 does; neither Cilium nor Istio requires it). @default true */
  ciliumDisableL7Proxy: true,
} as const;

/** Set on every cluster with cni: cilium. */
export interface CiliumSettings {
  readonly managed: boolean;
  readonly disableL7Proxy: boolean;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    managed: { type: 'boolean', description: 'use true when the provider runs Cilium (e.g. Ncloud NKS), false when you install it with Helm' },
    disableL7Proxy: BOOLEAN,
  },
};

export function ciliumSettingsOf(cluster: { readonly addons: Readonly<Record<string, unknown>> }): CiliumSettings | undefined {
  return cluster.addons.cilium as CiliumSettings | undefined;
}

export const ciliumIstio: AddOn = {
  name: 'cilium',
  clusterSchema: { cilium: schema },
  resolveCluster(raw: RawCluster, fleet: RawFleet): CiliumSettings | undefined {
    // Settings Istio needs from Cilium: nothing to do where the cluster has no Cilium or no Istio.
    if (raw.cni !== 'cilium' || fleet.spec.mesh.type !== ISTIO) return undefined;
    const c = raw.cilium as { managed?: boolean; disableL7Proxy?: boolean } | undefined;
    return {
      managed: c?.managed ?? CILIUM_ISTIO_DEFAULTS.ciliumManaged,
      disableL7Proxy: c?.disableL7Proxy ?? CILIUM_ISTIO_DEFAULTS.ciliumDisableL7Proxy,
    };
  },
  rules(fleet, raw, add, warn) {
    fleet.clusters.forEach((c, i) => {
      const block = raw.spec.clusters[i]?.cilium;
      if (block === undefined) return;
      if (c.cni !== 'cilium') {
        add(['spec', 'clusters', i, 'cilium'], block, `cilium settings only apply to clusters with cni: cilium (this one has cni: ${c.cni})`,
          'remove the cilium block, or set cni: cilium if the cluster runs Cilium');
      } else if (fleet.mesh.type !== ISTIO) {
        warn(['spec', 'clusters', i, 'cilium'], `these settings configure Cilium for Istio; mesh type ${fleet.mesh.type} ignores them`);
      }
    });
  },
  plan: addCiliumSettings,
  expects(cluster) {
    const s = ciliumSettingsOf(cluster);
    if (!s) return [];
    const at = `spec.clusters[${cluster.index}]`;
    return [{
      footprint: CILIUM_AGENT, mode: 'runs', field: `${at}.cilium.managed`, fromHelm: !s.managed,
      fix: `set ${at}.cni to the CNI the cluster runs (calico or other), or install Cilium first`,
      originFix: `set ${at}.cilium.managed: ${s.managed ? 'false (your own Helm release runs Cilium)' : 'true (the provider runs Cilium)'}`,
    }];
  },
  pins: { 'kubectl image of the Cilium restart Job': KUBECTL_IMAGE },
  charts: [],
  summary(cluster) {
    const s = ciliumSettingsOf(cluster);
    if (!s) return undefined;
    return s.managed
      ? `Cilium (provider-managed): cilium-config patched for Istio${s.disableL7Proxy ? ', L7 proxy off' : ''}, agents restarted once per change`
      : `Cilium (self-managed): Helm values in ConfigMap kube-system/cilium-istio-values for your Cilium HelmRelease${s.disableL7Proxy ? ', L7 proxy off' : ''}`;
  },
};

/** The cilium-config keys Istio needs (Cilium's Istio integration page), and the L7 proxy choice. */
export function ciliumConfig(settings: CiliumSettings): Record<string, string> {
  return {
    'bpf-lb-sock-hostns-only': 'true',
    'cni-exclusive': 'false',
    'enable-l7-proxy': settings.disableL7Proxy ? 'false' : 'true',
  };
}

/** The same settings as Cilium Helm values. */
export function ciliumHelmValues(settings: CiliumSettings): Record<string, unknown> {
  return {
    socketLB: { hostNamespaceOnly: true },
    cni: { exclusive: false },
    l7Proxy: !settings.disableL7Proxy,
    rollOutCiliumPods: true,
  };
}

/** `meshfleet-cilium-restart-<hash>`: changes when, and only when, a patched value changes. */
export function restartJobName(config: Record<string, string>): string {
  const canonical = JSON.stringify(Object.keys(config).sort().map((k) => [k, config[k]]));
  return `${RESTART_ACCOUNT}-${createHash('sha256').update(canonical).digest('hex').slice(0, 10)}`;
}

function addCiliumSettings(plan: ClusterPlan): void {
  const settings = ciliumSettingsOf(plan.cluster);
  if (!settings) return;
  if (!settings.managed) {
    new KubeConfigMap(plan.stage('infrastructure'), 'cilium-istio-values', {
      metadata: { name: VALUES_CONFIGMAP, namespace: NAMESPACE, annotations: { 'meshfleet.io/chart-values': 'cilium/cilium' } },
      data: { 'values.yaml': toYaml(ciliumHelmValues(settings)) },
    });
    return;
  }
  const config = ciliumConfig(settings);
  new KubeConfigMap(plan.stage('infrastructure'), 'cilium-config', {
    metadata: { name: 'cilium-config', namespace: NAMESPACE, annotations: { ...plan.engine.mergePatchAnnotations } },
    data: config,
  });
  new CiliumRestart(plan.stage('infrastructure-config'), 'cilium-restart', config);
}

/** How long the agents may take to roll; the engine's stage timeout must be longer (Flux: 15m for a stage with a Job). */
const ROLLOUT_TIMEOUT_S = 600;

function kubectl(name: string, args: string[]): Container {
  return {
    name,
    image: KUBECTL_IMAGE,
    command: ['kubectl'],
    args,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
  };
}

/**
 * A one-shot `kubectl rollout restart daemonset/cilium`, then `kubectl rollout status` until every
 * agent runs with the new settings, with only the rights it needs.
 */
export class CiliumRestart extends Construct {
  constructor(scope: Construct, id: string, config: Record<string, string>) {
    super(scope, id);
    const meta = { name: RESTART_ACCOUNT, namespace: NAMESPACE };
    new KubeServiceAccount(this, 'ServiceAccount', { metadata: meta });
    new KubeRole(this, 'Role', {
      metadata: meta,
      // get + patch restart it; list + watch (by name) follow the rollout.
      rules: [{ apiGroups: ['apps'], resources: ['daemonsets'], resourceNames: ['cilium'], verbs: ['get', 'list', 'patch', 'watch'] }],
    });
    new KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: RESTART_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: RESTART_ACCOUNT, namespace: NAMESPACE }],
    });
    new KubeJob(this, 'Job', {
      metadata: {
        name: restartJobName(config),
        namespace: NAMESPACE,
        annotations: { 'meshfleet.io/restarts-for': Object.entries(config).map(([k, v]) => `${k}=${v}`).join(',') },
      },
      spec: {
        // One retry for a transient API error; a rollout that does not finish fails the Job, and
        // with it the stage (the engine waits for the Job to complete), where an operator sees it.
        backoffLimit: 1,
        activeDeadlineSeconds: ROLLOUT_TIMEOUT_S + 300,
        template: {
          spec: {
            serviceAccountName: RESTART_ACCOUNT,
            restartPolicy: 'Never',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            initContainers: [kubectl('restart', ['rollout', 'restart', 'daemonset/cilium', `--namespace=${NAMESPACE}`])],
            containers: [kubectl('wait-for-rollout', ['rollout', 'status', 'daemonset/cilium', `--namespace=${NAMESPACE}`, `--timeout=${ROLLOUT_TIMEOUT_S}s`])],
          },
        },
      },
    });
  }
}
