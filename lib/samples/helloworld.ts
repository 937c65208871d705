/**
 * Seed 001's test apps, from Istio's samples (helloworld/helloworld.yaml and curl/curl.yaml at
 * 1.26.8): the `helloworld` Service (port 5000) in every cluster, the helloworld-vN Deployments
 * where fleet.yaml places them (v1 on primaries, v2 on remotes by default), and the `sleep`
 * client to call them from. Cross-cluster load balancing shows when a loop of
 * `curl helloworld.sample:5000/hello` from sleep answers with both versions.
 *
 * Plain Kubernetes objects rather than cdk8s-plus constructs: they reproduce Istio's sample
 * manifests field for field (cdk8s-plus would add its own labels, selectors and security defaults).
 */
import { Construct } from 'constructs';
import { KubeDeployment, KubeNamespace, KubeService, Quantity } from '../../imports/k8s';
import type { JsonSchema } from '../fleet/schema';
import type { ClusterPlan } from '../plan';
import { SAMPLE_NAMESPACE, Sleep } from './bookinfo';

export type HelloworldVersion = 'v1' | 'v2';
export const HELLOWORLD_PORT = 5000;
const HELLOWORLD_TAG = '1.0';

/** Where the helloworld sample runs on one cluster. */
export interface HelloworldPlacement {
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
export function resolveHelloworldPlacement(raw: unknown, role: 'primary' | 'remote'): HelloworldPlacement {
  const r = raw as { helloworld?: HelloworldVersion[]; sleep?: boolean } | undefined;
  return {
    helloworld: r?.helloworld ?? [role === 'remote' ? 'v2' : 'v1'],
    sleep: r?.sleep ?? true,
  };
}

export function helloworldSummary(p: HelloworldPlacement): string {
  const parts = p.helloworld.map((v) => `helloworld-${v}`);
  if (p.sleep) parts.push('sleep');
  return parts.length > 0 ? `${parts.join(', ')} (+ helloworld Service)` : 'helloworld Service only';
}

/** The samples in the `apps` stage when spec.samples.enabled. */
export function addHelloworld(plan: ClusterPlan, placement: HelloworldPlacement, namespaceLabels: Record<string, string>): void {
  if (!plan.fleet.samples.enabled) return;
  const apps = plan.stage('apps');
  new KubeNamespace(apps, 'namespace', {
    metadata: { name: SAMPLE_NAMESPACE, ...(Object.keys(namespaceLabels).length > 0 ? { labels: namespaceLabels } : {}) },
  });
  new HelloworldService(apps, 'helloworld');
  for (const version of placement.helloworld) new HelloworldDeployment(apps, `helloworld-${version}`, version);
  if (placement.sleep) new Sleep(apps, 'sleep');
}

/** The helloworld Service: present everywhere, so every cluster can resolve the name. */
export class HelloworldService extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new KubeService(this, 'Resource', {
      metadata: { name: 'helloworld', namespace: SAMPLE_NAMESPACE, labels: { app: 'helloworld', service: 'helloworld' } },
      spec: { ports: [{ port: HELLOWORLD_PORT, name: 'http' }], selector: { app: 'helloworld' } },
    });
  }
}

export class HelloworldDeployment extends Construct {
  constructor(scope: Construct, id: string, version: HelloworldVersion) {
    super(scope, id);
    const labels = { app: 'helloworld', version };
    new KubeDeployment(this, 'Resource', {
      metadata: { name: `helloworld-${version}`, namespace: SAMPLE_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{
              name: 'helloworld',
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
