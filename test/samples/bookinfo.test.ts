/** Sample app placement (seed 000 §4) and its overrides. */
import { describe, expect, it } from 'vitest';
import { loadFleet, renderFleet } from '../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects } from '../helpers';

const apps = (files: Map<string, Record<string, any>[]>, cluster: string): string[] =>
  [...files.keys()].filter((p) => p.startsWith(`manifests/${cluster}/apps/`) && !p.endsWith('kustomization.yaml')).map((p) => p.split('/').pop()!).sort();

describe('sample apps', () => {
  it('places reviews-v1, v2, v3 on the first three clusters and sleep on the last', () => {
    const files = renderObjects(DEFAULT_FLEET);
    const common = ['namespace-sample.yaml', 'service-reviews.yaml', 'serviceaccount-bookinfo-reviews.yaml'];
    expect(apps(files, 'kt-k2p')).toEqual(['deployment-reviews-v1.yaml', ...common].sort());
    expect(apps(files, 'ncloud-nks')).toEqual(['deployment-reviews-v2.yaml', ...common].sort());
    expect(apps(files, 'nhn-nks')).toEqual(['deployment-reviews-v3.yaml', 'deployment-sleep.yaml', ...common, 'service-sleep.yaml', 'serviceaccount-sleep.yaml'].sort());
    expect(objectAt(files, 'manifests/kt-k2p/apps/namespace-sample.yaml').metadata.labels).toEqual({ 'istio-injection': 'enabled' });
  });

  it('the check tells the versions apart by what reviews prints: its pod and cluster, not stars no ratings service can give (issue 20 item 7)', () => {
    const files = renderObjects(DEFAULT_FLEET);
    for (const [cluster, version] of [['kt-k2p', 'v1'], ['ncloud-nks', 'v2'], ['nhn-nks', 'v3']]) {
      const reviews = objectAt(files, `manifests/${cluster}/apps/deployment-reviews-${version}.yaml`).spec.template.spec.containers[0];
      expect(reviews.env, cluster).toContainEqual({ name: 'CLUSTER_NAME', value: cluster });
    }
    expect([...files.keys()].some((p) => p.includes('ratings'))).toBe(false);
    const readme = renderFleet(loadFleet(DEFAULT_FLEET), { repoPath: 'dist' }).files.get('README.md')!;
    expect(readme).not.toMatch(/black stars, v3: red stars\)/);
    expect(readme).toContain(`curl -sS reviews.sample:9080/reviews/1 | grep -o '"podname": "[^"]*","clustername": "[^"]*"'`);
    expect(readme).toContain('"rating": {"error": "Ratings service is currently unavailable"}');
  });

  it('cycles v1, v2, v3 for more clusters', () => {
    const five = editFleet((doc) => {
      for (const n of [4, 5]) {
        (doc.getIn(['spec', 'clusters']) as { add(v: unknown): void }).add(doc.createNode({
          name: `c${n}`, apiServer: `https://c${n}.example.com:6443`, ageRecipient: n === 4 ? 'age1w7wvxnvcsx204tmtgnhftza24mtsm5prygrjjueauu9zgn7ktgcs49ermf' : 'age1awfjdpc8d0hf4awh80qen4n4hexps7uwampd750rf3t9mhdvx9rqsu0s33', // one key per cluster
        }));
      }
    });
    const files = renderObjects(five);
    // By name, not by place in the list: c4, c5, kt-k2p, ncloud-nks, nhn-nks.
    expect(objectAt(files, 'manifests/c4/apps/deployment-reviews-v1.yaml').spec.template.spec.containers[0].image).toBe('docker.io/istio/examples-bookinfo-reviews-v1:1.20.3');
    expect(files.has('manifests/c5/apps/deployment-reviews-v2.yaml')).toBe(true);
    expect(files.has('manifests/kt-k2p/apps/deployment-reviews-v3.yaml')).toBe(true);
    expect(files.has('manifests/ncloud-nks/apps/deployment-reviews-v1.yaml')).toBe(true);
    expect(files.has('manifests/nhn-nks/apps/deployment-reviews-v2.yaml')).toBe(true);
    expect(files.has('manifests/nhn-nks/apps/deployment-sleep.yaml')).toBe(true);
    expect(files.has('manifests/c5/apps/deployment-sleep.yaml')).toBe(false);
  });

  it('placement is overridable per cluster', () => {
    const files = renderObjects(editFleet((doc) => {
      doc.setIn(['spec', 'clusters', 0, 'samples'], doc.createNode({ reviews: ['v2', 'v3'], sleep: true }));
      doc.setIn(['spec', 'clusters', 2, 'samples'], doc.createNode({ reviews: [], sleep: false }));
    }));
    expect(apps(files, 'kt-k2p')).toContain('deployment-reviews-v3.yaml');
    expect(apps(files, 'kt-k2p')).toContain('deployment-sleep.yaml');
    expect(apps(files, 'kt-k2p')).not.toContain('deployment-reviews-v1.yaml');
    expect(apps(files, 'nhn-nks')).toEqual(['namespace-sample.yaml', 'service-reviews.yaml', 'serviceaccount-bookinfo-reviews.yaml']);
  });

  it('samples off: no apps stage at all', () => {
    const files = renderObjects(editFleet((doc) => doc.setIn(['spec', 'samples', 'enabled'], false)));
    expect([...files.keys()].some((p) => p.includes('/apps'))).toBe(false);
  });
});
