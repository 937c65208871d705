/**
 * The helloworld samples (Istio's samples/helloworld/helloworld.yaml and samples/curl/curl.yaml at
 * 1.26.8), which seed 001 (Istio primary-remote) and seed 004 (Linkerd multicluster) deploy: each
 * helloworld-vN answers `Hello version: vN, instance: <pod>` on 5000/TCP, and a loop of
 * `curl helloworld.sample:5000/hello` from a client shows which clusters answer.
 *
 * Plain Kubernetes objects rather than cdk8s-plus constructs: they reproduce the upstream sample
 * manifests field for field (cdk8s-plus would add its own labels, selectors and security defaults).
 */
import { Construct } from 'constructs';
import { KubeDeployment, KubeNamespace, KubeService, KubeServiceAccount, Quantity } from '../../imports/k8s';
import type { JsonSchema } from '../fleet/schema';
import type { ClusterPlan } from '../contracts/plan';
import { SAMPLE_NAMESPACE, Sleep } from './bookinfo';

export const HELLOWORLD = 'helloworld';
export const HELLOWORLD_PORT = 5000;
const HELLOWORLD_TAG = '1.0';
const CURL_IMAGE = 'docker.io/curlimages/curl:8.16.0';

export type HelloworldVersion = 'v1' | 'v2';

export interface HelloworldPlacement {
  /** Which helloworld Deployments run here. */
  readonly versions: readonly HelloworldVersion[];
  /** Whether the curl client runs here. */
  readonly curl: boolean;
  /** Extra labels of the helloworld Service (e.g. a mesh's export label). */
  readonly serviceLabels?: Readonly<Record<string, string>>;
}

/** The sample namespace with the metadata the mesh needs to inject its proxies, and the samples placed here. */
export function addHelloworld(scope: Construct, placement: HelloworldPlacement, namespaceMeta: { labels?: Record<string, string>; annotations?: Record<string, string> }): void {
  new KubeNamespace(scope, 'namespace', { metadata: { name: SAMPLE_NAMESPACE, ...namespaceMeta } });
  new HelloworldService(scope, 'helloworld', placement.serviceLabels ?? {});
  for (const v of placement.versions) new HelloworldDeployment(scope, `helloworld-${v}`, v);
  if (placement.curl) new Curl(scope, 'curl');
}

/** Where the helloworld sample runs on one cluster of an Istio primary-remote fleet (seed 001). */
export interface HelloworldSleepPlacement {
  /** Which helloworld Deployments run here (the helloworld Service runs everywhere). */
  readonly helloworld: readonly HelloworldVersion[];
  /** Whether the sleep client runs here. */
  readonly sleep: boolean;
}

export const helloworldVersionsSchema: JsonSchema = {
  type: 'array',
  uniqueItems: true,
  items: { type: 'string', enum: ['v1', 'v2'], description: 'list helloworld versions from v1 and v2' },
  description: 'list the helloworld versions to run here, e.g. [v2], or [] for none',
};

/** Seed 001: v1 on the primary, v2 on the remote; the sleep client on every cluster. */
export function resolveHelloworldPlacement(raw: unknown, role: 'primary' | 'remote'): HelloworldSleepPlacement {
  const r = raw as { helloworld?: HelloworldVersion[]; sleep?: boolean } | undefined;
  return {
    helloworld: r?.helloworld ?? [role === 'remote' ? 'v2' : 'v1'],
    sleep: r?.sleep ?? true,
  };
}

export function helloworldSummary(p: HelloworldSleepPlacement): string {
  const parts = p.helloworld.map((v) => `helloworld-${v}`);
  if (p.sleep) parts.push('sleep');
  return parts.length > 0 ? `${parts.join(', ')} (+ helloworld Service)` : 'helloworld Service only';
}

/** Seed 001's samples in the `apps` stage when spec.samples.enabled: helloworld, and sleep as the client. */
export function addHelloworldWithSleep(plan: ClusterPlan, placement: HelloworldSleepPlacement, namespaceLabels: Record<string, string>): void {
  if (!plan.fleet.samples.enabled) return;
  const apps = plan.stage('apps');
  new KubeNamespace(apps, 'namespace', {
    metadata: { name: SAMPLE_NAMESPACE, ...(Object.keys(namespaceLabels).length > 0 ? { labels: namespaceLabels } : {}) },
  });
  new HelloworldService(apps, 'helloworld', {});
  for (const version of placement.helloworld) new HelloworldDeployment(apps, `helloworld-${version}`, version);
  if (placement.sleep) new Sleep(apps, 'sleep');
}

export class HelloworldService extends Construct {
  constructor(scope: Construct, id: string, extraLabels: Readonly<Record<string, string>>) {
    super(scope, id);
    new KubeService(this, 'Resource', {
      metadata: { name: HELLOWORLD, namespace: SAMPLE_NAMESPACE, labels: { app: HELLOWORLD, service: HELLOWORLD, ...extraLabels } },
      spec: { ports: [{ port: HELLOWORLD_PORT, name: 'http' }], selector: { app: HELLOWORLD } },
    });
  }
}

export class HelloworldDeployment extends Construct {
  constructor(scope: Construct, id: string, version: HelloworldVersion) {
    super(scope, id);
    const labels = { app: HELLOWORLD, version };
    new KubeDeployment(this, 'Resource', {
      metadata: { name: `${HELLOWORLD}-${version}`, namespace: SAMPLE_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name: HELLOWORLD,
              image: `docker.io/istio/examples-helloworld-${version}:${HELLOWORLD_TAG}`,
              resources: { requests: { cpu: Quantity.fromString('100m') } },
              imagePullPolicy: 'IfNotPresent',
              ports: [{ containerPort: HELLOWORLD_PORT }],
            }],
          },
        },
      },
    });
  }
}

/** The curl client (samples/curl/curl.yaml, the successor of the seed's sleep.yaml). */
export class Curl extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const labels = { app: 'curl' };
    new KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: 'curl', namespace: SAMPLE_NAMESPACE } });
    new KubeService(this, 'Service', {
      metadata: { name: 'curl', namespace: SAMPLE_NAMESPACE, labels: { app: 'curl', service: 'curl' } },
      spec: { ports: [{ port: 80, name: 'http' }], selector: labels },
    });
    new KubeDeployment(this, 'Deployment', {
      metadata: { name: 'curl', namespace: SAMPLE_NAMESPACE },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 0,
            serviceAccountName: 'curl',
            containers: [{
              name: 'curl',
              image: CURL_IMAGE,
              command: ['/bin/sleep', 'infinity'],
              imagePullPolicy: 'IfNotPresent',
              volumeMounts: [{ mountPath: '/etc/curl/tls', name: 'secret-volume' }],
            }],
            volumes: [{ name: 'secret-volume', secret: { secretName: 'curl-secret', optional: true } }],
          },
        },
      },
    });
  }
}
