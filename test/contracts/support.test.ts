/** Support windows (issue 24 item 3): check warns past a release's end of life; only check reads today's date. */
import { describe, expect, it } from 'vitest';
import { endOfLifeLine, type ReleaseInUse } from '../../lib/contracts/support';
import { MESHES } from '../../lib/mesh/registry';
import { loadFleet } from '../../lib/pipeline';
import { loadFleetWithModules } from '../../lib/pipeline/load';

const loadFleetWarnings = (text: string): string[] => [...loadFleetWithModules(text).warnings];
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { DEFAULT_FLEET, editFleet, fixture, ROOT, runCli, synthFleet } from '../helpers';

/** The default fleet as seed 000 runs it: Istio 1.26.8. */
const SEED_000 = editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'version'], '1.26.8'));

const release = (version: string, endOfLife: string): ReleaseInUse => ({
  project: 'Mesh', version, field: 'spec.mesh.x.version', supported: '2.0', installs: ['1.0.1'],
  windows: [{ line: '1.0', endOfLife, source: 'the upstream page' }],
});

describe('endOfLifeLine', () => {
  it('is silent through the last day of support and speaks from the day after', () => {
    expect(endOfLifeLine(release('1.0.1', '2025-12-22'), new Date('2025-12-22T23:59:59Z'))).toBeUndefined();
    expect(endOfLifeLine(release('1.0.1', '2025-12-22'), new Date('2025-12-23T00:00:00Z'))).toBe(
      'Mesh 1.0.1 (spec.mesh.x.version) is past its end of life (2025-12-22; the upstream page): no more security fixes. ' +
      'Upstream supports 2.0; this meshfleet installs 1.0.1, so a supported release needs a newer meshfleet (bump the version your fleet repository pins).');
  });

  it('takes a month-only date as that month\'s end, and matches the line, not a prefix of another', () => {
    expect(endOfLifeLine(release('1.0.1', '2026-02'), new Date('2026-02-28T12:00:00Z'))).toBeUndefined();
    expect(endOfLifeLine(release('1.0.1', '2026-02'), new Date('2026-03-01T00:00:00Z'))).toMatch(/past its end of life/);
    expect(endOfLifeLine(release('1.01.3', '2020-01-01'), new Date('2026-01-01'))).toBeUndefined();
  });

  it('seed 000\'s Istio 1.26.8 is past its end of life (2025-12-22); the default fleet\'s 1.30.3 is not', () => {
    expect(endOfLifeLine(MESHES.istio!.releasesInUse!(loadFleet(DEFAULT_FLEET))[0]!, new Date('2026-12-07'))).toBeUndefined();
    const fleet = loadFleet(SEED_000);
    const [istio] = MESHES.istio!.releasesInUse!(fleet);
    expect(endOfLifeLine(istio!, new Date('2026-12-07'))).toMatch(/^Istio 1\.26\.8 \(spec\.mesh\.istio\.version\) is past its end of life \(2025-12-22; istio\.io/);
  });
});

describe('npm run check and support windows', () => {
  it('warns about an end-of-life mesh release, and --strict fails on it', async () => {
    const { dir, out } = await synthFleet(editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'version'], '1.26.8'), fixture().fleetText));
    const args = ['check', '--fleet', join(dir, 'fleet.yaml'), '--out', out];
    const plain = runCli(args);
    expect(plain.status).toBe(0);
    expect(plain.stderr).toMatch(/^warning: Istio 1\.26\.8 \(spec\.mesh\.istio\.version\) is past its end of life \(2025-12-22/m);
    const strict = runCli([...args, '--strict']);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toMatch(/^\d+\. Istio 1\.26\.8 \(spec\.mesh\.istio\.version\) is past its end of life/m);
    expect(plain.stderr).toMatch(/this meshfleet installs 1\.30\.3: move spec\.mesh\.istio\.version there, one supported step at a time/);
  });
});

describe('kubernetesVersion outside the mesh release\'s range', () => {
  it('warns at the field, naming the range and its source; inside the range it is silent', () => {
    const at = (k8s: string, version = '1.26.8'): string[] => {
      const text = editFleet((d) => { d.setIn(['spec', 'mesh', 'istio', 'version'], version); d.setIn(['spec', 'clusters', 1, 'kubernetesVersion'], k8s); });
      return loadFleetWarnings(text);
    };
    expect(at('1.28')).toEqual([expect.stringMatching(/spec\.clusters\[1\]\.kubernetesVersion: Istio 1\.26\.8 supports Kubernetes 1\.29 to 1\.33 \(istio\.io's support table, k8sVersions\); 1\.28 is outside that range/)]);
    expect(at('1.29')).toEqual([]);
    expect(at('1.33.4')).toEqual([]);
    expect(at('1.34', '1.30.3')).toEqual([]);
    expect(at('1.31', '1.30.3')).toEqual([expect.stringMatching(/Istio 1\.30\.3 supports Kubernetes 1\.32 to 1\.36/)]);
  });
});

describe('examples/seed-000.yaml: seed 000 as its guide runs it', () => {
  it('renders Istio 1.26.8, and its warnings name NKS\'s Kubernetes 1.28 outside 1.26\'s range and 1.26\'s end of life', () => {
    const text = readFileSync(join(ROOT, 'examples', 'seed-000.yaml'), 'utf8');
    const { fleet, modules, warnings } = loadFleetWithModules(text);
    expect(MESHES.istio!.releasesInUse!(fleet)[0]!.version).toBe('1.26.8');
    expect(warnings).toEqual([expect.stringMatching(/spec\.clusters\[1\]\.kubernetesVersion: Istio 1\.26\.8 supports Kubernetes 1\.29 to 1\.33 .*; 1\.28 is outside that range/)]);
    expect(endOfLifeLine(modules.mesh.releasesInUse!(fleet)[0]!, new Date('2026-12-07'))).toMatch(/^Istio 1\.26\.8 \(spec\.mesh\.istio\.version\) is past its end of life \(2025-12-22;/);
  });
});
