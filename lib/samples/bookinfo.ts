/**
 * Seed 000 §4's test apps, from Istio's samples (bookinfo.yaml, sleep.yaml at 1.26.8): the
 * `reviews` Service in every cluster, the reviews-vN Deployments where fleet.yaml places them,
 * and the `sleep` client to call them from. Cross-cluster load balancing shows when
 * `curl reviews:9080/reviews/1` from sleep answers with pods of several clusters.
 *
 * Plain Kubernetes objects rather than cdk8s-plus constructs: they reproduce Istio's sample
 * manifests field for field (cdk8s-plus would add its own labels, selectors and security defaults).
 */
import { Construct } from 'constructs';
import { KubeDeployment, KubeNamespace, KubeService, KubeServiceAccount, type PodSpec } from '../../imports/k8s';
import type { ClusterPlan } from '../contracts/plan';
import type { BookinfoPlacement, ReviewsVersion } from './placement';

export const SAMPLE_NAMESPACE = 'sample';
const BOOKINFO_TAG = '1.20.3';
const CURL_IMAGE = 'docker.io/curlimages/curl:8.16.0';

/**
 * The samples in the `apps` stage when spec.samples.enabled: the namespace (with the labels the
 * mesh needs to inject its proxies), the reviews Service everywhere, and what `placement` puts here.
 */
export function addBookinfo(plan: ClusterPlan, placement: BookinfoPlacement, namespaceLabels: Record<string, string>): void {
  if (!plan.fleet.samples.enabled) return;
  const apps = plan.stage('apps');
  new KubeNamespace(apps, 'namespace', {
    metadata: { name: SAMPLE_NAMESPACE, ...(Object.keys(namespaceLabels).length > 0 ? { labels: namespaceLabels } : {}) },
  });
  new ReviewsService(apps, 'reviews');
  for (const version of placement.reviews) new ReviewsDeployment(apps, `reviews-${version}`, version, plan.cluster.name);
  if (placement.sleep) new Sleep(apps, 'sleep');
}

/** The reviews Service and ServiceAccount: present everywhere, so every cluster can resolve the name. */
export class ReviewsService extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new KubeService(this, 'Service', {
      metadata: { name: 'reviews', namespace: SAMPLE_NAMESPACE, labels: { app: 'reviews', service: 'reviews' } },
      spec: { ports: [{ port: 9080, name: 'http' }], selector: { app: 'reviews' } },
    });
    new KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name: 'bookinfo-reviews', namespace: SAMPLE_NAMESPACE, labels: { account: 'reviews' } },
    });
  }
}

export class ReviewsDeployment extends Construct {
  /** `cluster` goes into CLUSTER_NAME, which reviews prints beside its pod name ("clustername"). */
  constructor(scope: Construct, id: string, version: ReviewsVersion, cluster: string) {
    super(scope, id);
    const labels = { app: 'reviews', version };
    sampleDeployment(this, 'Resource', `reviews-${version}`, labels, true, {
      serviceAccountName: 'bookinfo-reviews',
      containers: [{
        name: 'reviews',
        image: `docker.io/istio/examples-bookinfo-reviews-${version}:${BOOKINFO_TAG}`,
        imagePullPolicy: 'IfNotPresent',
        env: [{ name: 'LOG_DIR', value: '/tmp/logs' }, { name: 'CLUSTER_NAME', value: cluster }],
        ports: [{ containerPort: 9080 }],
        volumeMounts: [
          { name: 'tmp', mountPath: '/tmp' },
          { name: 'wlp-output', mountPath: '/opt/ibm/wlp/output' },
        ],
      }],
      volumes: [
        { name: 'wlp-output', emptyDir: {} },
        { name: 'tmp', emptyDir: {} },
      ],
    });
  }
}

/** One replica of a pod in the sample namespace, selected by `labels` (as Istio's samples are). */
function sampleDeployment(scope: Construct, id: string, name: string, labels: Record<string, string>, labelDeployment: boolean, pod: PodSpec): void {
  new KubeDeployment(scope, id, {
    metadata: { name, namespace: SAMPLE_NAMESPACE, ...(labelDeployment ? { labels } : {}) },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: pod } },
  });
}

/** The sleep client (samples/sleep/sleep.yaml). */
export class Sleep extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const labels = { app: 'sleep' };
    new KubeServiceAccount(this, 'ServiceAccount', { metadata: { name: 'sleep', namespace: SAMPLE_NAMESPACE } });
    new KubeService(this, 'Service', {
      metadata: { name: 'sleep', namespace: SAMPLE_NAMESPACE, labels: { app: 'sleep', service: 'sleep' } },
      spec: { ports: [{ port: 80, name: 'http' }], selector: labels },
    });
    sampleDeployment(this, 'Deployment', 'sleep', labels, false, {
      terminationGracePeriodSeconds: 0,
      serviceAccountName: 'sleep',
      containers: [{
        name: 'sleep',
        image: CURL_IMAGE,
        command: ['/bin/sleep', 'infinity'],
        imagePullPolicy: 'IfNotPresent',
        volumeMounts: [{ mountPath: '/etc/sleep/tls', name: 'secret-volume' }],
      }],
      volumes: [{ name: 'secret-volume', secret: { secretName: 'sleep-secret', optional: true } }],
    });
  }
}
