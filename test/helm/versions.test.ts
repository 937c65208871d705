/**
 * Every chart version a module pins renders with real Helm in a fleet that asks for it, not only
 * the defaults the examples use (issue 24 item 7): metrics-server 3.12.2 beside the default 3.13.1.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedCharts } from '../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, hasHelm } from '../helpers';
import { CHARTS, helmTemplate, parseManifests, releaseCases } from './harness';

const skip = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm)' : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;

describe('every pinned metrics-server version', () => {
  const versions = pinnedCharts().filter((c) => c.chart === 'metrics-server').map((c) => c.version);

  it('pins 3.12.2 and 3.13.1', () => expect(versions).toEqual(['3.12.2', '3.13.1']));

  it.skipIf(skip !== undefined).each(versions)(`%s renders with real Helm in a fleet that asks for it${skip ? ` — SKIPPED: ${skip}` : ''}`, async (version) => {
    const text = editFleet((d) => d.setIn(['spec', 'clusters', 0, 'metricsServer', 'version'], version), DEFAULT_FLEET);
    const release = releaseCases('fleet.yaml', text).find((c) => c.cluster === 'kt-k2p' && c.ref.chart === 'metrics-server')!;
    expect(release.ref.version).toBe(version);
    expect(release.chartDir).toBe(join(CHARTS, `metrics-server-${version}`));
    const r = await helmTemplate(release.ref, release.chartDir!);
    expect(r.code, r.stderr).toBe(0);
    const deployment = parseManifests(r.stdout).find((o) => o.kind === 'Deployment')!;
    const args = (deployment.spec as { template: { spec: { containers: { args: string[] }[] } } }).template.spec.containers[0]!.args;
    expect(args).toContain('--kubelet-insecure-tls');
  });
});
