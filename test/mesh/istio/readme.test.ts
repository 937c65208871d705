/** dist/README.md of a multi-primary fleet tells an operator how to verify the mesh (seed 000's loop). */
import { describe, expect, it } from 'vitest';
import { renderFleet, loadFleet } from '../../../lib/pipeline';
import { DEFAULT_FLEET } from '../../helpers';

const readme = renderFleet(loadFleet(DEFAULT_FLEET), { repoPath: 'dist' }).files.get('README.md')!;

describe('dist/README.md (Istio multi-primary)', () => {
  it('lists istioctl remote-clusters and proxy-status per cluster', () => {
    for (const ctx of ['kt', 'ncloud', 'nhn']) {
      expect(readme).toContain(`istioctl remote-clusters --context ${ctx}`);
      expect(readme).toContain(`istioctl proxy-status --context ${ctx}`);
    }
  });

  it('gives seed 000\'s curl loop from the cluster that runs sleep, with the answers to expect', () => {
    expect(readme).toContain(`for i in $(seq 10); do kubectl exec --context nhn -n sample deploy/sleep -c sleep -- curl -sS reviews.sample:9080/reviews/1 | grep -o '"podname": "[^"]*","clustername": "[^"]*"'; done`);
    expect(readme).toMatch(/every version the fleet runs \(v1, v2, v3\)/);
  });

  it('names the common failures with their fixes, and never tells anyone to kubectl-apply an encrypted file', () => {
    for (const symptom of ['<pending>', 'upstream connect error', 'not synced', 'unknown authority', 'clock skew']) expect(readme).toContain(symptom);
    expect(readme).not.toMatch(/kubectl[^\n]*apply -[fk] [^\n|]*mesh-prereqs/);
    expect(readme).toContain('sops --decrypt');
  });

  it('shows the token-auth variant of flux bootstrap and how to follow the stages', () => {
    expect(readme).toContain('--token-auth');
    expect(readme).toContain('flux --context kt get kustomizations   # every stage Ready, in order (add --watch to follow)');
    // No --watch in a copy-paste block: it never returns, and the next command would not run.
    expect(readme.split('\n').filter((l) => /--watch/.test(l.split('#')[0]!))).toEqual([]);
  });
});
