/**
 * Value paths below which a chart accepts any key, by chart name: maps the chart passes through
 * to Kubernetes objects (annotations, labels, nodeSelector, resources, ...) or to its app (Istio's
 * meshConfig and meshNetworks). Everything else we set must be declared in the chart's values.yaml
 * or values.schema.json (lib/helm/keys.ts). Entries were chosen by reading each chart's values.yaml
 * and templates; see that file for the pattern syntax (`*` any key, `[]` any list item).
 *
 * A list whose default is empty (tolerations, volumes, ...) holds Kubernetes objects: its items
 * are free-form only when listed here with `[]`.
 */
const K8S_POD = [
  'affinity', 'nodeSelector', 'tolerations[]', 'topologySpreadConstraints[]', 'resources',
  'podAnnotations', 'podLabels', 'securityContext', 'containerSecurityContext', 'seccompProfile',
  'volumes[]', 'volumeMounts[]', 'imagePullSecrets[]', 'readinessProbe', 'livenessProbe', 'strategy',
] as const;

export const FREE_FORM: Readonly<Record<string, readonly string[]>> = {
  base: [],
  istiod: [
    ...K8S_POD,
    'autoscaleBehavior', 'env', 'envVarFrom[]', 'initContainers[]', 'memory', 'serviceAnnotations',
    'serviceAccountAnnotations', 'sidecarInjectorWebhookAnnotations', 'deploymentLabels',
    'sidecarInjectorWebhook.injectedAnnotations', 'sidecarInjectorWebhook.templates',
    'sidecarInjectorWebhook.neverInjectSelector[]', 'sidecarInjectorWebhook.alwaysInjectSelector[]',
    'meshConfig', 'global.meshNetworks', 'global.proxy.resources', 'global.proxy_init.resources',
    'global.defaultResources', 'global.defaultNodeSelector', 'global.defaultTolerations[]',
    'gatewayClasses',
  ],
  gateway: [
    ...K8S_POD,
    'env', 'labels', 'annotations', 'serviceAccount.annotations', 'service.annotations',
    'autoscaling.autoscaleBehavior', 'podDisruptionBudget',
  ],
  metallb: [
    'controller.affinity', 'controller.nodeSelector', 'controller.tolerations[]', 'controller.resources',
    'controller.podAnnotations', 'controller.labels', 'controller.securityContext',
    'controller.serviceAccount.annotations', 'controller.extraContainers[]',
    'speaker.affinity', 'speaker.nodeSelector', 'speaker.tolerations[]', 'speaker.resources',
    'speaker.podAnnotations', 'speaker.labels', 'speaker.securityContext',
    'speaker.serviceAccount.annotations', 'speaker.extraContainers[]', 'speaker.frr.resources',
    'prometheus.*.annotations', 'prometheus.*.additionalLabels', 'prometheus.*.*.annotations',
    'prometheus.*.*.additionalLabels', 'imagePullSecrets[]',
  ],
  // values.yaml: "# heartbeatSchedule: \"0 0 * * *\"" (commented); templates/heartbeat.yaml reads it,
  // and without it schedules the CronJob at the minute of the render.
  'linkerd-control-plane': ['heartbeatSchedule'],
  'linkerd-multicluster': [
    'podAnnotations', 'podLabels', 'commonLabels', 'imagePullSecrets[]',
    'gateway.serviceAnnotations', 'gateway.deploymentAnnotations', 'gateway.nodeSelector', 'gateway.tolerations[]',
    'gateway.loadBalancerSourceRanges[]', 'controllerDefaults.resources', 'controllerDefaults.nodeSelector',
    'controllerDefaults.tolerations', 'controllerDefaults.nodeAffinity', 'localServiceMirror.resources',
  ],
  'metrics-server': [
    'affinity', 'nodeSelector', 'tolerations[]', 'topologySpreadConstraints[]', 'resources',
    'podAnnotations', 'podLabels', 'commonLabels', 'deploymentAnnotations', 'podSecurityContext',
    'securityContext', 'dnsConfig', 'updateStrategy', 'imagePullSecrets[]',
    'serviceAccount.annotations', 'apiService.annotations', 'service.annotations', 'service.labels',
    'serviceMonitor.additionalLabels', 'extraVolumes[]', 'extraVolumeMounts[]', 'tmpVolume',
  ],
};

/** The free-form paths of a chart; an unknown chart has none, so every key must be declared. */
export function freeFormPaths(chart: string): readonly string[] {
  return FREE_FORM[chart] ?? [];
}

/**
 * Keys a chart's templates read that its values.yaml only documents in a comment and its schema
 * does not list, by chart name, with the template that reads them. lib/helm/keys.ts would report
 * them as undeclared otherwise.
 */
export const ALSO_DECLARED: Readonly<Record<string, readonly string[]>> = {
  // templates/zzz_profile.yaml: `coalesce ($.Values).profile ($.Values.global).profile` picks
  // files/profile-<name>.yaml (e.g. `profile: remote`); values.yaml has no `profile` key.
  base: ['profile'],
  istiod: ['profile'],
  cilium: [
    // values.yaml: "# hostNamespaceOnly: false"; templates/cilium-configmap.yaml: bpf-lb-sock-hostns-only
    'socketLB.hostNamespaceOnly',
    // values.yaml: "clusters: []" with the entry fields in a comment;
    // templates/clustermesh-config/_helpers.tpl reads name, address, ips, port (and tls)
    'clustermesh.config.clusters[].name', 'clustermesh.config.clusters[].address',
    'clustermesh.config.clusters[].ips', 'clustermesh.config.clusters[].port',
    // values.yaml: "# schedule: ..." (commented); templates/clustermesh-apiserver/tls-cronjob/cronjob.yaml reads it
    'clustermesh.apiserver.tls.auto.schedule',
  ],
  // values.yaml: "# heartbeatSchedule: \"0 0 * * *\"" (commented); templates/heartbeat.yaml reads it,
  // and without it schedules the CronJob at the minute of the render.
  'linkerd-control-plane': ['heartbeatSchedule'],
  'linkerd-multicluster': [
    // values.yaml: "# controllers: - link: ref: name: target1" (default []); templates/controller/*.yaml: .link.ref.name
    'controllers[].link.ref.name',
  ],
};

export function alsoDeclaredPaths(chart: string): readonly string[] {
  return ALSO_DECLARED[chart] ?? [];
}
