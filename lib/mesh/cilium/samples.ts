/**
 * Seed 003 §4's test app: namespace `song` on every cluster, the `userlist` Deployment where
 * fleet.yaml places it, the global Service `userlist-svc` on every cluster (a global Service must
 * exist, under the same name and namespace, wherever it is called), and the `curltest` client.
 *
 * Plain Kubernetes objects rather than cdk8s-plus constructs: they reproduce the seed's manifests
 * (11.userlist-deployment.yaml, 12.userlist-svc.yaml, `kubectl create deploy curltest`) field
 * for field; cdk8s-plus would add its own labels, selectors and security defaults.
 */
import { Construct } from 'constructs';
import { IntOrString, KubeDeployment, KubeNamespace, KubeService } from '../../../imports/k8s';
import type { ClusterPlan } from '../../contracts/plan';
import { ciliumClusterOf, ciliumOf, type Affinity } from './defaults';

export const SONG_NAMESPACE = 'song';
export const USERLIST_SERVICE = 'userlist-svc';
const USERLIST_IMAGE = 'docker.io/ssongman/userlist:v1';
const CURL_IMAGE = 'docker.io/curlimages/curl:8.16.0';

export function addUserlist(plan: ClusterPlan): void {
  if (!plan.fleet.samples.enabled) return;
  const apps = plan.stage('apps');
  const placement = ciliumClusterOf(plan.cluster).samples;
  new KubeNamespace(apps, 'namespace', { metadata: { name: SONG_NAMESPACE } });
  new UserlistService(apps, 'userlist-svc', ciliumOf(plan.fleet).affinity);
  if (placement.userlist) new Userlist(apps, 'userlist');
  if (placement.curl) new CurlTest(apps, 'curltest');
}

/** 12.userlist-svc.yaml: global, shared, with the affinity fleet.yaml asks for. */
export class UserlistService extends Construct {
  constructor(scope: Construct, id: string, affinity: Affinity) {
    super(scope, id);
    new KubeService(this, 'Resource', {
      metadata: {
        name: USERLIST_SERVICE,
        namespace: SONG_NAMESPACE,
        annotations: {
          'service.cilium.io/global': 'true',
          'service.cilium.io/shared': 'true',
          'service.cilium.io/affinity': affinity,
        },
      },
      spec: {
        selector: { app: 'userlist' },
        ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: IntOrString.fromNumber(8181) }],
        type: 'ClusterIP',
      },
    });
  }
}

/** 11.userlist-deployment.yaml (image pinned to a registry). */
export class Userlist extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const labels = { app: 'userlist' };
    new KubeDeployment(this, 'Resource', {
      metadata: { name: 'userlist', namespace: SONG_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'userlist', image: USERLIST_IMAGE, ports: [{ containerPort: 8181 }] }] },
        },
      },
    });
  }
}

/** `kubectl create deploy curltest --image=curlimages/curl -- sleep 365d`, as the object it creates. */
export class CurlTest extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    const labels = { app: 'curltest' };
    new KubeDeployment(this, 'Resource', {
      metadata: { name: 'curltest', namespace: SONG_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'curl', image: CURL_IMAGE, command: ['sleep', '365d'] }] },
        },
      },
    });
  }
}
