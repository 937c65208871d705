/**
 * Helm value overrides in fleet.yaml: merged into the generated values (cluster after fleet-wide),
 * visible in what real Helm renders, checked by the same key-path check as meshfleet's own values,
 * and refused where they would change a value meshfleet derives or name a release nothing installs.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freeFormPaths } from '../../lib/helm/free-form';
import { undeclaredKeys } from '../../lib/helm/keys';
import { changedPaths, mergeValues } from '../../lib/format/values';
import { chartDir } from '../../lib/helm/chart';
import { loadFleet, pinnedCharts, renderFleet } from '../../lib/pipeline';
import { DEFAULT_FLEET, editFleet, hasHelm, objectAt, refused, renderObjects, ROOT, runMain, tempDir } from '../helpers';
import { CHARTS, chartInfo, helmTemplate, parseManifests, releaseCases } from './harness';

const skip = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm)' : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;
const SKIPPED = skip ? ` — SKIPPED: ${skip}` : '';

const WITH_OVERRIDES = editFleet((d) => {
  d.setIn(['spec', 'overrides'], d.createNode({ istiod: { resources: { requests: { cpu: '200m', memory: '512Mi' } } }, 'istio-eastwestgateway': { autoscaling: { minReplicas: 2 } } }));
  d.setIn(['spec', 'clusters', 0, 'overrides'], d.createNode({ 'istio-eastwestgateway': { autoscaling: { minReplicas: 3 } } }));
});


describe('Helm value overrides', () => {
  it('merge like Helm: maps key by key, lists and scalars replace, null removes', () => {
    expect(mergeValues({ a: { b: 1, c: [1] }, d: 1 }, { a: { c: [2], e: 3 }, d: null })).toEqual({ a: { b: 1, c: [2], e: 3 } });
    expect(changedPaths({ global: { network: 'n1', x: 1 } }, { global: { network: 'n2', y: 2, x: 1 } })).toEqual(['global.network']);
  });

  it('reach the release: fleet-wide everywhere, the cluster\'s after them, generated values kept', () => {
    const files = renderObjects(WITH_OVERRIDES);
    const istiod = objectAt(files, 'manifests/nhn-nks/mesh/helmrelease-istiod.yaml');
    expect(istiod.spec.values.resources).toEqual({ requests: { cpu: '200m', memory: '512Mi' } });
    expect(istiod.spec.values.global.meshID).toBe('mesh1');
    expect(objectAt(files, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.autoscaling).toEqual({ minReplicas: 3 });
    expect(objectAt(files, 'manifests/nhn-nks/mesh/helmrelease-istio-eastwestgateway.yaml').spec.values.autoscaling).toEqual({ minReplicas: 2 });
  });

  it.skipIf(skip !== undefined)(`reach what Helm renders, and pass the key-path check${SKIPPED}`, async () => {
    const cases = releaseCases('fleet.yaml', WITH_OVERRIDES);
    const istiod = cases.find((c) => c.cluster === 'nhn-nks' && c.ref.chart === 'istiod')!;
    const rendered = parseManifests((await helmTemplate(istiod.ref, istiod.chartDir!)).stdout);
    const deployment = rendered.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'istiod') as Record<string, any>;
    expect(deployment.spec.template.spec.containers[0].resources.requests).toEqual({ cpu: '200m', memory: '512Mi' });
    const gateway = cases.find((c) => c.cluster === 'kt-k2p' && c.ref.chart === 'gateway')!;
    const hpa = parseManifests((await helmTemplate(gateway.ref, gateway.chartDir!)).stdout).find((o) => o.kind === 'HorizontalPodAutoscaler') as Record<string, any>;
    expect(hpa.spec.minReplicas).toBe(3);
    for (const c of [istiod, gateway]) {
      const chart = chartInfo(c.chartDir!);
      expect(undeclaredKeys({ values: c.ref.values, defaults: chart.defaults, schema: chart.schema, freeForm: freeFormPaths(chart.name) })).toEqual([]);
    }
  });

  it.skipIf(!existsSync(`${CHARTS}/istiod-1.26.8`))(`a misspelt override key is what the key-path check catches (Helm would ignore it)${existsSync(`${CHARTS}/istiod-1.26.8`) ? '' : ` — SKIPPED: ${CHARTS}/istiod-1.26.8 is missing`}`, () => {
    const chart = chartInfo(`${CHARTS}/istiod-1.26.8`);
    const values = mergeValues({ global: { meshID: 'mesh1' } }, { resourcez: { requests: { cpu: '1' } } });
    expect(undeclaredKeys({ values, defaults: chart.defaults, schema: chart.schema, freeForm: freeFormPaths('istiod') })).toEqual(['resourcez']);
  });

  it('at synth, an override key the chart does not declare is refused, also for charts without values.schema.json (issue 15)', () => {
    const e = refused(editFleet((d) => {
      d.setIn(['spec', 'overrides'], d.createNode({ istiod: { resourcez: { requests: { cpu: '1' } }, tolerations: [{ key: 'k', operator: 'Exists' }], podAnnotations: { a: 'b' } } }));
      d.setIn(['spec', 'clusters', 0, 'overrides'], d.createNode({ 'metrics-server': { argz: ['--v=2'], replicas: 2 } }));
    }));
    expect(e.problems.map((p) => p.path).sort()).toEqual(['spec.clusters[0].overrides.metrics-server.argz', 'spec.overrides.istiod.resourcez']);
    expect(e.message).toMatch(/chart istiod 1\.30\.3 declares no value resourcez, so Helm would ignore it/);
    expect(e.message).toMatch(/chart metrics-server 3\.13\.1 declares no value argz/);
    // Declared and free-form keys pass.
    expect(() => renderFleet(loadFleet(editFleet((d) => d.setIn(['spec', 'overrides'], d.createNode({ istiod: { tolerations: [{ key: 'k', operator: 'Exists' }], pilot: undefined } })))), { repoPath: 'dist' })).not.toThrow();
  });

  it('imports/charts/ records exactly the charts the modules pin (reference data in ../shared may hold more versions)', () => {
    const committed = readdirSync(join(ROOT, 'imports', 'charts')).sort();
    expect(committed).toEqual(pinnedCharts().map((c) => `${c.chart}-${c.version}.json`).sort());
  });

  it.skipIf(!existsSync(CHARTS))(`imports/charts/ is what \`npm run import\` makes of the pinned charts in ../shared (not stale)${existsSync(CHARTS) ? '' : ` — SKIPPED: ${CHARTS} is missing`}`, () => {
    for (const pin of pinnedCharts()) {
      const dir = chartDir(CHARTS, pin.chart, pin.version);
      expect(dir, `${pin.chart}-${pin.version} is pinned but not in ${CHARTS}`).toBeDefined();
      const c = chartInfo(dir!);
      const file = JSON.parse(readFileSync(join(ROOT, 'imports', 'charts', `${c.name}-${c.version}.json`), 'utf8'));
      expect(file.defaults, `${c.name}: run npm run import`).toEqual(c.defaults);
      expect(file.schema).toEqual(c.schema);
    }
  });

  it('refuses an override that changes a value meshfleet derives, naming it and the way to change it', () => {
    const e = refused(editFleet((d) => d.setIn(['spec', 'clusters', 1, 'overrides'], d.createNode({ istiod: { global: { network: 'other', meshID: 'mesh1' } } }))));
    expect(e.problems.map((p) => p.path)).toEqual(['spec.clusters[1].overrides.istiod.global.network']);
    expect(e.message).toMatch(/meshfleet derives istiod's value global.network from fleet.yaml for the mesh to work/);
    expect(e.message).toMatch(/change the fleet.yaml field it comes from/);
  });

  it('refuses a release name nothing installs, listing the ones that exist', () => {
    const fleetWide = refused(editFleet((d) => d.setIn(['spec', 'overrides'], d.createNode({ istio: { a: 1 } }))));
    expect(fleetWide.message).toMatch(/spec.overrides.istio[\s\S]*no cluster of the fleet installs a Helm release named istio[\s\S]*use one of istio-base, istio-eastwestgateway, istiod, metallb, metrics-server/);
    const onCluster = refused(editFleet((d) => d.setIn(['spec', 'clusters', 2, 'overrides'], d.createNode({ metallb: { a: 1 } }))));
    expect(onCluster.message).toMatch(/spec.clusters\[2\].overrides.metallb[\s\S]*nhn-nks installs no Helm release named metallb/);
  });

  it('an override the chart\'s values.schema.json refuses is a fleet.yaml problem, not a meshfleet bug (found by the fuzz test)', () => {
    const e = refused(editFleet((d) => d.setIn(['spec', 'overrides'], d.createNode({ 'istio-eastwestgateway': { autoscaling: { minReplicas: 'two' } } }))));
    expect(e.problems[0]!.path).toBe('spec.overrides.istio-eastwestgateway');
    expect(e.message).toMatch(/kt-k2p's istio-eastwestgateway values, with the overrides merged, fail the chart's values.schema.json: .*autoscaling\/minReplicas: must be integer/);
  });

  it('the default fleet has none, and its output does not change', () => {
    expect(loadFleet(DEFAULT_FLEET).overrides).toEqual({});
  });
});

describe('overrides of what a chart derives from meshfleet\'s values (issue 21 item 4)', () => {
  it('an env entry, label or annotation the chart sets from a derived value is refused, at its line:column', async () => {
    const text = editFleet((d) => {
      d.setIn(['spec', 'overrides'], d.createNode({
        'istio-eastwestgateway': { env: { ISTIO_META_REQUESTED_NETWORK_VIEW: 'evil', OTHER: 'fine' }, labels: { 'topology.istio.io/network': 'evil', team: 'fine' } },
      }));
      d.setIn(['spec', 'clusters', 0, 'overrides'], d.createNode({ istiod: { env: { CLUSTER_ID: 'evil' } } }));
    });
    const e = refused(text);
    expect(e.problems.map((p) => p.path).sort()).toEqual([
      'spec.clusters[0].overrides.istiod.env.CLUSTER_ID',
      'spec.overrides.istio-eastwestgateway.env.ISTIO_META_REQUESTED_NETWORK_VIEW',
      'spec.overrides.istio-eastwestgateway.labels.topology.istio.io/network',
    ]);
    expect(e.message).toMatch(/chart gateway sets env\.ISTIO_META_REQUESTED_NETWORK_VIEW itself, from networkGateway \(the cluster's network\)/);
    // through the CLI, each at the line:column of its key, in file order
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), text);
    const r = await runMain(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')]);
    expect(r.code).toBe(1);
    expect(readdirSync(dir)).toEqual(['fleet.yaml']);
    const lines = text.split('\n');
    const lineOf = (needle: string) => lines.findIndex((l) => l.includes(needle)) + 1;
    expect(r.err).toContain(`fleet.yaml:${lineOf('ISTIO_META_REQUESTED_NETWORK_VIEW')}:`);
    expect(r.err).toContain(`fleet.yaml:${lineOf('topology.istio.io/network')}:`);
    expect(r.err).toContain(`fleet.yaml:${lineOf('CLUSTER_ID')}:`);
    const keys = ['ISTIO_META_REQUESTED_NETWORK_VIEW', 'topology.istio.io/network', 'CLUSTER_ID'];
    expect([...keys].sort((a, b) => r.err.indexOf(`${a}\n`) - r.err.indexOf(`${b}\n`))).toEqual([...keys].sort((a, b) => lineOf(a) - lineOf(b)));
  });

  it('the Linkerd gateway\'s own annotations are refused; others pass', () => {
    const linkerd = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');
    const e = refused(editFleet((d) => d.setIn(['spec', 'overrides'], d.createNode({ 'linkerd-multicluster': { gateway: { deploymentAnnotations: { 'config.linkerd.io/default-inbound-policy': 'all-unauthenticated', team: 'a' } } } })), linkerd));
    expect(e.problems.map((p) => p.path)).toEqual(['spec.overrides.linkerd-multicluster.gateway.deploymentAnnotations.config.linkerd.io/default-inbound-policy']);
  });
});
