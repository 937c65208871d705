/** `npm run helm-template`: offline with --charts pointing at the vendored charts; errors are one line. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmTemplateCommand } from '../../lib/cli/helm-template';
import { engineOf } from '../../lib/gitops/registry';
import { helmTemplateArgs } from '../../lib/helm/template';
import type { KubeObject } from '../../lib/kube';
import { hasHelm, objectAt, renderObjects, DEFAULT_FLEET, ROOT } from '../helpers';
import { CHARTS } from './harness';

const skipReason = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm; or set HELM)'
  : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;
const SKIPPED = skipReason ? ` — SKIPPED: ${skipReason}` : '';
const FLEET = join(ROOT, 'examples', 'kpaas-csp.yaml');

async function run(args: string[]): Promise<{ code: number; out: string; err: string[] }> {
  let out = '';
  const err: string[] = [];
  const code = await helmTemplateCommand(args, (s) => { out += s; }, (s) => err.push(s));
  return { code, out, err };
}

describe('npm run helm-template', () => {
  it.skipIf(skipReason !== undefined)(`prints what Helm renders for one release, offline from --charts${SKIPPED}`, async () => {
    const r = await run(['kt-k2p', 'istiod', '--fleet', FLEET, '--charts', CHARTS]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^# kt-k2p: HelmRelease istio-system\/istiod, chart istiod 1\.30\.3\n/);
    expect(r.out).toMatch(/name: CLUSTER_ID\n\s+value: "kt-k2p"/);
    expect(r.out).not.toMatch(/HelmRelease istio-system\/istio-base/);
  });

  it.skipIf(skipReason !== undefined)(`prints every release of the cluster when none is named${SKIPPED}`, async () => {
    const r = await run(['kt-k2p', '--fleet', FLEET, '--charts', CHARTS]);
    expect(r.code).toBe(0);
    expect(r.out.match(/^# kt-k2p: HelmRelease .*$/gm)).toEqual([
      '# kt-k2p: HelmRelease metallb-system/metallb, chart metallb 0.16.1',
      '# kt-k2p: HelmRelease kube-system/metrics-server, chart metrics-server 3.13.1',
      '# kt-k2p: HelmRelease istio-system/istio-base, chart base 1.30.3',
      '# kt-k2p: HelmRelease istio-system/istio-eastwestgateway, chart gateway 1.30.3',
      '# kt-k2p: HelmRelease istio-system/istiod, chart istiod 1.30.3',
    ]);
  });

  it('an unknown cluster or release, or a missing chart, is one line naming what exists', async () => {
    expect(await run(['nope', '--fleet', FLEET, '--charts', CHARTS])).toMatchObject({
      code: 1, out: '', err: ['error: unknown cluster "nope"; ' + FLEET + ' has: kt-k2p, ncloud-nks, nhn-nks'],
    });
    expect((await run(['nhn-nks', 'metallb', '--fleet', FLEET, '--charts', CHARTS])).err)
      .toEqual(['error: cluster "nhn-nks" has no HelmRelease "metallb"; it has: istio-base, istio-eastwestgateway, istiod']);
    const missing = await run(['kt-k2p', 'istiod', '--fleet', FLEET, '--charts', ROOT]);
    expect(missing.code).toBe(1);
    expect(missing.err).toEqual([`error: chart istiod 1.30.3 not found: no istiod-1.30.3/ in ${ROOT}`]);
  });

  it('a wrong command line exits 2 with the usage and a did-you-mean', async () => {
    const typo = await run(['kt-k2p', '--chart', CHARTS, '--fleet', FLEET]);
    expect(typo.code).toBe(2);
    expect(typo.err.join('\n')).toMatch(/^error: unknown option --chart for helm-template \(did you mean --charts\?\)\nusage: npm run helm-template -- <cluster>/);
    const none = await run(['--fleet', FLEET]);
    expect(none.code).toBe(2);
    expect(none.err.join('\n')).toMatch(/^error: helm-template needs a cluster name\nusage: /);
  });

  it('says how to get helm when there is none', async () => {
    const before = process.env.HELM;
    process.env.HELM = join(ROOT, 'no-such-helm');
    try {
      expect(await run(['kt-k2p', 'istiod', '--fleet', FLEET])).toMatchObject({
        code: 1, err: ['error: helm not found: run npm ci (it installs the pinned helm) or put helm on PATH'],
      });
    } finally {
      if (before === undefined) delete process.env.HELM;
      else process.env.HELM = before;
    }
  });

  it('without --charts, fetches the pinned version from the HelmRepository', () => {
    const files = renderObjects(DEFAULT_FLEET);
    const repository = objectAt(files, 'manifests/kt-k2p/mesh/helmrepository-istio.yaml') as KubeObject;
    const release = engineOf('flux').releaseOf(objectAt(files, 'manifests/kt-k2p/mesh/helmrelease-istiod.yaml') as KubeObject, [repository])!;
    expect(helmTemplateArgs(release, 'v.json', {})).toEqual([
      'template', 'istiod', 'istiod', '--repo', 'https://istio-release.storage.googleapis.com/charts', '--version', '1.30.3',
      '--namespace', 'istio-system', '--kube-version', '1.32.0', '-f', 'v.json',
    ]);
  });

  it('the script exits 1 with the one line and no stack trace', () => {
    const r = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'scripts', 'helm-template.ts'), 'nope', '--fleet', FLEET], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`error: unknown cluster "nope"; ${FLEET} has: kt-k2p, ncloud-nks, nhn-nks`);
    expect(r.stdout).toBe('');
  });
});
