/**
 * metrics-server where the cluster lacks one (seed 000 §7.2: HPA targets <unknown>; the Istio
 * gateway and istiod charts create HPAs). `--kubelet-insecure-tls` is added only when fleet.yaml
 * asks for it: upstream calls it "for testing purposes only" (README: the safer alternative).
 */
import { SEMVER, BOOLEAN, type JsonSchema } from '../../fleet/schema';
import type { RawCluster } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import type { AddOn } from '../../contracts/addon';

export const METRICS_SERVER_DEFAULTS = {
  /** Install the chart; false documents that the cluster has one. @default true */
  metricsServerInstall: true,
  /** metrics-server Helm chart version (3.12.2 still installable). @default '3.13.1' */
  metricsServerVersion: '3.13.1',
  /** Add --kubelet-insecure-tls (do not verify kubelet serving certificates). @default false */
  metricsServerKubeletInsecureTLS: false,
} as const;

export interface MetricsServer {
  readonly install: boolean;
  readonly version: string;
  readonly kubeletInsecureTLS: boolean;
  /** Extra container args, appended after the chart's defaults. */
  readonly args: readonly string[];
}

interface RawMetricsServer { install?: boolean; version?: string; kubeletInsecureTLS?: boolean; args?: string[] }

const NAMESPACE = 'kube-system';
const CHARTS = 'https://kubernetes-sigs.github.io/metrics-server/';
const INSECURE_FLAG = '--kubelet-insecure-tls';

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    install: BOOLEAN,
    version: { type: 'string', pattern: SEMVER, description: 'use a metrics-server Helm chart version as a quoted string, e.g. "3.13.1"' },
    kubeletInsecureTLS: BOOLEAN,
    args: {
      type: 'array',
      uniqueItems: true,
      items: { type: 'string', pattern: '^--[a-z0-9-]+(=.*)?$', description: 'use a flag such as --metric-resolution=30s' },
      description: 'list extra metrics-server flags',
    },
  },
};

export function metricsServerOf(cluster: { readonly addons: Readonly<Record<string, unknown>> }): MetricsServer | undefined {
  return cluster.addons.metricsServer as MetricsServer | undefined;
}

export const metricsServer: AddOn = {
  name: 'metricsServer',
  clusterSchema: { metricsServer: schema },
  pins: { 'metrics-server chart (default)': METRICS_SERVER_DEFAULTS.metricsServerVersion },
  // 3.13.1 by default: it fixes two GitOps drift bugs of 3.12.x (the chart's release notes); 3.12.2 stays installable.
  charts: [{ chart: 'metrics-server', version: '3.12.2' }, { chart: 'metrics-server', version: METRICS_SERVER_DEFAULTS.metricsServerVersion }],
  resolveCluster(raw: RawCluster): MetricsServer | undefined {
    const m = raw.metricsServer as RawMetricsServer | undefined;
    if (!m) return undefined;
    return {
      install: m.install ?? METRICS_SERVER_DEFAULTS.metricsServerInstall,
      version: m.version ?? METRICS_SERVER_DEFAULTS.metricsServerVersion,
      kubeletInsecureTLS: m.kubeletInsecureTLS ?? METRICS_SERVER_DEFAULTS.metricsServerKubeletInsecureTLS,
      args: [...(m.args ?? [])],
    };
  },
  rules(fleet, _raw, add) {
    fleet.clusters.forEach((c, i) => {
      const args = metricsServerOf(c)?.args ?? [];
      const j = args.findIndex((a) => a.startsWith(INSECURE_FLAG));
      if (j !== -1) {
        add(['spec', 'clusters', i, 'metricsServer', 'args', j], args[j], 'the insecure kubelet TLS flag has a field of its own',
          'remove it from args and set metricsServer.kubeletInsecureTLS: true (README: what it disables)');
      }
    });
  },
  plan(plan: ClusterPlan): void {
    const ms = metricsServerOf(plan.cluster);
    if (!ms?.install) return;
    const args = [...(ms.kubeletInsecureTLS ? [INSECURE_FLAG] : []), ...ms.args];
    plan.helmChart('infrastructure', {
      name: 'metrics-server', namespace: NAMESPACE, repository: { name: 'metrics-server', url: CHARTS }, chart: 'metrics-server', version: ms.version,
      values: args.length > 0 ? { args } : {},
    });
  },
  summary(cluster) {
    const ms = metricsServerOf(cluster);
    return ms?.install ? `metrics-server chart ${ms.version}${ms.kubeletInsecureTLS ? ` with ${INSECURE_FLAG}` : ''}` : undefined;
  },
};
