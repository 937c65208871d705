/** spec.clusters[].kubernetesVersion (issue 24 item 2): a chart Helm would refuse on that Kubernetes is refused at the field. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError } from '../../lib/errors';
import { kubeVersionProblem } from '../../lib/helm/declared';
import { loadFleet, renderFleet } from '../../lib/pipeline';
import { editFleet, ROOT } from '../helpers';

const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');

describe('kubernetesVersion', () => {
  it('reads the charts\' kubeVersion floors', () => {
    expect(kubeVersionProblem('linkerd-control-plane', '2025.4.4', '1.22')).toBe('chart linkerd-control-plane 2025.4.4 requires Kubernetes >=1.23.0-0 (its kubeVersion): Helm refuses to install it on 1.22');
    expect(kubeVersionProblem('linkerd-control-plane', '2025.4.4', '1.23')).toBeUndefined();
    expect(kubeVersionProblem('linkerd-control-plane', '2025.4.4', '1.32.3')).toBeUndefined();
    expect(kubeVersionProblem('no-such-chart', '1.0.0', '1.10')).toBeUndefined();
  });

  it('refuses a fleet whose cluster runs a Kubernetes a chart refuses, at the field, with the fix', () => {
    // Linkerd 2.20's charts need 1.31.
    const text = editFleet((d) => d.setIn(['spec', 'clusters', 1, 'kubernetesVersion'], '1.30'), LINKERD);
    let error: unknown;
    try {
      renderFleet(loadFleet(text), { repoPath: 'dist' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FleetError);
    const problems = (error as FleetError).problems.map((p) => `${p.path}: ${p.rule}`);
    expect(problems).toContain('spec.clusters[1].kubernetesVersion: chart linkerd-control-plane 2026.6.3 requires Kubernetes >=1.31.0-0 (its kubeVersion): Helm refuses to install it on 1.30');
    expect((error as FleetError).problems.every((p) => p.fix.includes('upgrade cluster2 first'))).toBe(true);
    // A version every chart accepts renders as before.
    expect(() => renderFleet(loadFleet(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'kubernetesVersion'], '1.32'), LINKERD)), { repoPath: 'dist' })).not.toThrow();
  });
});
