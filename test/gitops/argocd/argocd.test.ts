/**
 * spec.gitops.engine: argocd. The same fleet as with Flux must give every cluster the same
 * Kubernetes objects (only delivery objects differ); Applications must pass the Argo CD CRD schema,
 * follow the stage order with sync waves, and install the same Helm releases as Flux would.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { STAGES } from '../../../lib/contracts/stages';
import { loadFleet, outputValidator, renderFleet } from '../../../lib/pipeline';
import { readDiskTree } from '../../../lib/review/tree';
import { templateRelease } from '../../../lib/helm/template';
import { editFleet, fixture, HELM, hasHelm, hasKubectl, kubectlKustomize, renderObjects, ROOT, synthFleet } from '../../helpers';
import { CHARTS, helmTemplate, parseManifests, releaseCases } from '../../helm/harness';

const argo = (text: string): string => editFleet((d) => d.setIn(['spec', 'gitops', 'engine'], 'argocd'), text);
const FLUX_TEXT = fixture().fleetText;
const ARGO_TEXT = argo(FLUX_TEXT);

type Obj = Record<string, any>;
const parseAll = (text: string): Obj[] => parseAllDocuments(text).map((d) => d.toJS() as Obj).filter((o) => o !== null);

/** Objects only an engine emits (they deliver; the cluster's workload objects are the rest). */
const DELIVERY_KINDS = new Set(['helm.toolkit.fluxcd.io/HelmRelease', 'source.toolkit.fluxcd.io/HelmRepository']);
const isDelivery = (o: Obj): boolean => DELIVERY_KINDS.has(`${String(o.apiVersion).split('/')[0]}/${o.kind}`);

describe('engine argocd', () => {
  const files = renderObjects(ARGO_TEXT);
  const apps = [...files].filter(([p]) => p.startsWith('clusters/') || p.startsWith('argocd/')).flatMap(([path, objs]) => objs.map((o) => ({ path, o })));

  it('emits only Applications as delivery objects: a root per cluster, one per stage and per Helm chart', () => {
    expect(apps.length).toBeGreaterThan(0);
    expect(apps.every(({ o }) => o.apiVersion === 'argoproj.io/v1alpha1' && o.kind === 'Application')).toBe(true);
    expect([...files.keys()].filter((p) => p.startsWith('argocd/')).sort()).toEqual(['argocd/kt-k2p.yaml', 'argocd/ncloud-nks.yaml', 'argocd/nhn-nks.yaml']);
    const kt = apps.filter(({ path }) => path.startsWith('clusters/kt-k2p/')).map(({ o }) => o.metadata.name).sort();
    expect(kt).toEqual([
      'kt-k2p-apps', 'kt-k2p-infrastructure', 'kt-k2p-infrastructure-config', 'kt-k2p-infrastructure-metallb', 'kt-k2p-infrastructure-metrics-server',
      'kt-k2p-mesh-config', 'kt-k2p-mesh-istio-base', 'kt-k2p-mesh-istio-eastwestgateway', 'kt-k2p-mesh-istiod', 'kt-k2p-mesh-prereqs',
    ]);
    const root = files.get('argocd/kt-k2p.yaml')![0]!;
    expect(root.spec.source.path).toBe('dist/clusters/kt-k2p');
    expect(root.spec.destination).toEqual({ namespace: 'argocd', server: 'https://kubernetes.default.svc' });
    const stage = files.get('clusters/kt-k2p/mesh-config.yaml')![0]!;
    expect(stage.spec.source).toEqual({ path: 'dist/manifests/kt-k2p/mesh-config', repoURL: 'https://git.example.com/platform/fleet.git', targetRevision: 'main' });
    expect(stage.spec.destination).toEqual({ name: 'kt-k2p' });
    expect(stage.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });

  it('every Application passes the Argo CD v3.5.1 CRD schema (and the validator rejects a misspelt field)', () => {
    const validator = outputValidator();
    for (const { path, o } of apps) expect(validator.validate(o as never), path).toEqual([]);
    const bad = structuredClone(files.get('clusters/kt-k2p/mesh.yaml') ?? files.get('clusters/kt-k2p/mesh-istiod.yaml')!)[0]!;
    bad.spec.syncPolicy.automatic = bad.spec.syncPolicy.automated;
    expect(validator.validate(bad as never).join('\n')).toMatch(/automatic/);
  });

  it('sync waves follow the stage order; a stage\'s charts come after its manifests and after the charts they depend on', () => {
    for (const cluster of ['kt-k2p', 'ncloud-nks', 'nhn-nks']) {
      const mine = apps.filter(({ path }) => path.startsWith(`clusters/${cluster}/`)).map(({ o }) => ({
        name: o.metadata.name as string, stage: o.metadata.labels['meshfleet.io/stage'] as string, wave: Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']), chart: o.spec.source.chart as string | undefined,
      }));
      const index = (s: string): number => STAGES.findIndex((x) => x.name === s);
      for (const a of mine) {
        for (const b of mine) {
          if (index(a.stage) < index(b.stage)) expect(a.wave, `${a.name} before ${b.name}`).toBeLessThan(b.wave);
        }
        if (a.chart) {
          const manifests = mine.find((m) => m.name === `${cluster}-${a.stage}`);
          if (manifests) expect(a.wave).toBeGreaterThan(manifests.wave);
        }
      }
      const wave = (n: string): number => mine.find((m) => m.name === `${cluster}-${n}`)!.wave;
      expect(wave('mesh-istio-base')).toBeLessThan(wave('mesh-istiod'));
      expect(wave('mesh-istiod')).toBeLessThan(wave('mesh-istio-eastwestgateway'));
      expect(wave('mesh-prereqs')).toBeLessThan(wave('mesh-istio-base'));
      expect(wave('mesh-istio-eastwestgateway')).toBeLessThan(wave('mesh-config'));
    }
  });

  it('istiod\'s run-time webhook fields are ignored and kept; the Cilium config patch is applied server-side, never pruned or deleted', () => {
    const istiod = files.get('clusters/kt-k2p/mesh-istiod.yaml')![0]!;
    expect(istiod.spec.ignoreDifferences).toContainEqual({
      group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'],
    });
    expect(istiod.spec.ignoreDifferences).toContainEqual({ group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] });
    // Only what istiod's chart needs: no Cilium certificate Secret, nothing on the gateway or metrics-server.
    expect(istiod.spec.ignoreDifferences).toHaveLength(2);
    expect(files.get('clusters/kt-k2p/mesh-istio-eastwestgateway.yaml')![0]!.spec.ignoreDifferences).toBeUndefined();
    expect(files.get('clusters/kt-k2p/infrastructure-metrics-server.yaml')![0]!.spec.ignoreDifferences).toBeUndefined();
    expect(istiod.spec.syncPolicy.syncOptions).toEqual(['ServerSideApply=true', 'RespectIgnoreDifferences=true']);
    const patch = files.get('manifests/ncloud-nks/infrastructure/configmap-cilium-config.yaml')![0]!;
    expect(patch.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'ServerSideApply=true,Prune=false,Delete=false' });
  });

  it('the same fleet with engine flux and engine argocd gives every cluster the same Kubernetes objects; only delivery objects differ', async () => {
    const flux = await synthFleet(FLUX_TEXT);
    const argocd = await synthFleet(ARGO_TEXT);
    try {
      const manifests = (dir: string): Map<string, string> => readDiskTree(join(dir, 'manifests'));
      const [f, a] = [manifests(flux.out), manifests(argocd.out)];
      const objects = (tree: Map<string, string>, keep: (o: Obj) => boolean): Map<string, Obj> => new Map([...tree]
        .filter(([p]) => !p.endsWith('/kustomization.yaml') && !p.endsWith('/ksops-generator.yaml'))
        .flatMap(([p, text]) => parseAll(text).filter(keep).map((o): [string, Obj] => [p, o])));
      const fluxObjects = objects(f, (o) => !isDelivery(o));
      expect(objects(f, isDelivery).size).toBeGreaterThan(0);
      expect(objects(a, isDelivery).size).toBe(0);
      // The engine's own annotations (merge patches: how to apply, never prune) are delivery too.
      const workload = (m: Map<string, Obj>): Map<string, Obj> => new Map([...m].map(([p, o]) => {
        const c = structuredClone(o);
        for (const k of Object.keys(c.metadata?.annotations ?? {})) if (/^(kustomize\.toolkit\.fluxcd\.io|argocd\.argoproj\.io)\//.test(k)) delete c.metadata.annotations[k];
        if (c.metadata?.annotations && Object.keys(c.metadata.annotations).length === 0) delete c.metadata.annotations;
        return [p, c];
      }));
      expect(workload(objects(a, () => true))).toEqual(workload(fluxObjects));
      // Byte for byte too (the SOPS files are copied from the same CA store).
      for (const p of fluxObjects.keys()) expect(a.get(p), p).toBe(f.get(p)!.replace(/\n {4}kustomize\.toolkit\.fluxcd\.io\/prune: Disabled\n {4}kustomize\.toolkit\.fluxcd\.io\/ssa: Merge/, '\n    argocd.argoproj.io/sync-options: ServerSideApply=true,Prune=false,Delete=false'));
      // A stage folder lists the same files; encrypted ones through the KSOPS generator.
      for (const [p, text] of a) {
        if (!p.endsWith('/kustomization.yaml')) continue;
        const k = parseAll(text)[0]!;
        const generator = k.generators ? parseAll(a.get(p.replace('kustomization.yaml', 'ksops-generator.yaml'))!)[0]! : undefined;
        const listed = [...(k.resources ?? []), ...(generator?.files ?? [])].sort();
        const fluxListed = (parseAll(f.get(p)!)[0]!.resources as string[]).filter((file) => !parseAll(f.get(p.replace('kustomization.yaml', file))!).some(isDelivery));
        expect(listed, p).toEqual(fluxListed.sort());
        if (generator) {
          expect(generator.files.every((file: string) => a.get(p.replace('kustomization.yaml', file))!.includes('\nsops:\n'))).toBe(true);
          expect(generator).toMatchObject({ apiVersion: 'viaduct.ai/v1', kind: 'ksops', metadata: { annotations: { 'config.kubernetes.io/function': 'exec:\n  path: ksops\n' } } });
        }
      }
      expect(a.has('kt-k2p/mesh-prereqs/ksops-generator.yaml')).toBe(true);
      // A stage that only installs charts has no folder: its charts are Applications on the hub.
      expect(existsSync(join(argocd.out, 'manifests/kt-k2p/mesh'))).toBe(false);
    } finally {
      rmSync(flux.dir, { recursive: true, force: true });
      rmSync(argocd.dir, { recursive: true, force: true });
    }
  }, 120_000);

  // kubectl's built-in kustomize does not run exec KRM functions (no --enable-exec), so the KSOPS
  // folders are checked structurally above; Argo CD's repo-server runs them with the standalone kustomize.
  it.skipIf(!hasKubectl)('kubectl kustomize builds every stage folder without encrypted objects, to the objects it lists', async () => {
    const { dir, out } = await synthFleet(ARGO_TEXT);
    try {
      const tree = readDiskTree(join(out, 'manifests'));
      const folders = [...tree.keys()].filter((p) => p.endsWith('/kustomization.yaml') && !tree.has(p.replace('kustomization.yaml', 'ksops-generator.yaml')));
      expect(folders.length).toBeGreaterThan(8);
      for (const k of folders) {
        const folder = join(out, 'manifests', k.replace('/kustomization.yaml', ''));
        const listed = (parseAll(tree.get(k)!)[0]!.resources as string[]).length;
        expect(parseAll(kubectlKustomize(folder)).length, k).toBe(listed);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('Helm sources render with real Helm to the same manifests as the Flux HelmReleases of the same fleet', async () => {
    const fluxCases = releaseCases('flux', FLUX_TEXT);
    const argoCases = releaseCases('argocd', ARGO_TEXT);
    const key = (c: (typeof fluxCases)[number]): string => `${c.cluster}/${c.stage}/${c.ref.namespace}/${c.ref.releaseName}`;
    expect(argoCases.map(key).sort()).toEqual(fluxCases.map(key).sort());
    for (const a of argoCases) {
      const f = fluxCases.find((c) => key(c) === key(a))!;
      expect({ chart: a.ref.chart, version: a.ref.version, values: a.ref.values, url: a.ref.url, stageIndex: a.stageIndex })
        .toEqual({ chart: f.ref.chart, version: f.ref.version, values: f.ref.values, url: f.ref.url, stageIndex: f.stageIndex });
      if (!a.chartDir || !f.chartDir) continue;
      const [ra, rf] = await Promise.all([helmTemplate(a.ref, a.chartDir), helmTemplate(f.ref, f.chartDir)]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(ra.stdout).toBe(rf.stdout);
    }
  }, 300_000);

  it('an OCI chart repository becomes a Helm source without its scheme, as Argo CD 3.0 takes it (and helm-template puts it back)', () => {
    const oci = editFleet((d) => d.setIn(['spec', 'mesh', 'istio', 'chartRepository'], 'oci://registry.example.com/istio-charts'), ARGO_TEXT);
    const istiod = renderObjects(oci).get('clusters/kt-k2p/mesh-istiod.yaml')![0]!;
    expect(istiod.spec.source).toMatchObject({ repoURL: 'registry.example.com/istio-charts', chart: 'istiod', targetRevision: '1.30.3' });
    expect(releaseCases('oci', oci).find((c) => c.cluster === 'kt-k2p' && c.ref.chart === 'istiod')!.ref.url).toBe('oci://registry.example.com/istio-charts');
  });

  it('dist/README.md: registering each cluster, the root Applications, KSOPS with the clusters\' age identities, the health check', () => {
    const readme = renderFleet(loadFleet(ARGO_TEXT), { repoPath: 'dist' }).files.get('README.md')!;
    expect(readme).toContain('argocd cluster add kt --name kt-k2p --yes');
    expect(readme).toContain('kubectl -n argocd apply -f dist/argocd/kt-k2p.yaml');
    expect(readme).toContain('cat kt-k2p.agekey ncloud-nks.agekey nhn-nks.agekey > keys.txt');
    expect(readme).toContain('image: viaductoss/ksops:v4.3.3');
    expect(readme).toContain('kustomize.buildOptions: --enable-alpha-plugins --enable-exec');
    expect(readme).toContain('resource.customizations.health.argoproj.io_Application: |');
    expect(readme).toContain('argocd app wait -l meshfleet.io/cluster=kt-k2p --sync --health --timeout 1800');
    expect(readme).not.toContain('flux bootstrap');
  });
});

/** Removes what a JSON pointer (`/data`) names. */
function dropPointer(obj: Obj, pointer: string): void {
  const keys = pointer.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at: any = obj;
  for (const k of keys.slice(0, -1)) { at = at?.[k]; if (at === undefined) return; }
  if (at && typeof at === 'object') delete at[keys[keys.length - 1]!];
}
/** Removes what a jq path of the form `.a[]?.b.c` names (the only form meshfleet emits). */
function dropJq(obj: Obj, path: string): void {
  const steps = path.slice(1).split('.');
  const walk = (at: any, i: number): void => {
    if (at === null || typeof at !== 'object') return;
    const m = /^([^[]+)(\[\]\??)?$/.exec(steps[i]!);
    if (!m) throw new Error(`unsupported jq path ${path}`);
    if (i === steps.length - 1 && !m[2]) { delete at[m[1]!]; return; }
    const next = at[m[1]!];
    if (m[2]) { for (const item of Array.isArray(next) ? next : []) walk(item, i + 1); } else walk(next, i + 1);
  };
  walk(obj, 0);
}
const groupOf = (o: Obj): string => (String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0]! : '');
const matches = (d: Obj, o: Obj): boolean => d.group === groupOf(o) && d.kind === o.kind && (d.name === undefined || d.name === o.metadata?.name);

const SKIP_HELM = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm; or set HELM)'
  : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;
const ARGO_FLEETS = [{ file: 'fleet.yaml (engine argocd)', text: ARGO_TEXT }, ...['istio-argocd', 'istio-primary-remote-argocd', 'linkerd-kpaas-argocd', 'cilium-clustermesh-argocd', 'no-mesh-argocd']
  .map((n) => ({ file: `examples/${n}.yaml`, text: readFileSync(join(ROOT, 'examples', `${n}.yaml`), 'utf8') }))];

describe('Argo CD ignoreDifferences: exactly what each chart\'s objects need', () => {
  for (const { file, text } of ARGO_FLEETS) {
    it.skipIf(SKIP_HELM !== undefined)(`${file}: every ignored field is on an object the chart renders; every field that changes between two renders, and every webhook caBundle, is ignored${SKIP_HELM ? ` — SKIPPED: ${SKIP_HELM}` : ''}`, async () => {
      const cases = releaseCases(file, text).filter((c) => c.object.kind === 'Application');
      expect(cases.length).toBeGreaterThan(0);
      for (const c of cases) {
        if (!c.chartDir) continue;
        const where = `${file} ${c.cluster} ${c.ref.name} (${c.ref.chart} ${c.ref.version})`;
        const ignores = ((c.object.spec as Obj).ignoreDifferences ?? []) as Obj[];
        // Helm's random functions run again on every render, as in Argo CD's repo-server on every refresh.
        const [first, second] = await Promise.all([helmTemplate(c.ref, c.chartDir), templateRelease(HELM!, c.ref, { chartsDir: join(c.chartDir, '..'), includeCrds: true })]);
        expect(first.code, first.stderr).toBe(0);
        const [a, b] = [parseManifests(first.stdout), parseManifests(second.stdout)] as Obj[][];
        for (const d of ignores) expect(a!.some((o) => matches(d, o)), `${where}: ignoreDifferences ${JSON.stringify(d)} names nothing the chart renders`).toBe(true);
        const strip = (o: Obj): Obj => {
          const copy = structuredClone(o);
          for (const d of ignores.filter((x) => matches(x, o))) {
            for (const p of d.jsonPointers ?? []) dropPointer(copy, p);
            for (const p of d.jqPathExpressions ?? []) dropJq(copy, p);
          }
          return copy;
        };
        expect(a!.map(strip), `${where}: what changes between two renders is ignored`).toEqual(b!.map(strip));
        for (const o of a!) {
          const s = strip(o);
          const caBundles = o.kind.endsWith('WebhookConfiguration')
            ? (s.webhooks ?? []).filter((w: Obj) => w.clientConfig?.caBundle !== undefined || w.clientConfig?.service !== undefined).filter((w: Obj) => w.clientConfig?.caBundle !== undefined)
            : o.kind === 'CustomResourceDefinition' && s.spec?.conversion?.strategy === 'Webhook' ? [s.spec.conversion.webhook?.clientConfig].filter((x: Obj | undefined) => x?.caBundle !== undefined) : [];
          const patched = o.kind.endsWith('WebhookConfiguration') || (o.kind === 'CustomResourceDefinition' && o.spec?.conversion?.strategy === 'Webhook');
          if (patched) expect(ignores.some((d) => matches(d, o)), `${where}: ${o.kind} ${o.metadata.name} gets its caBundle in the cluster`).toBe(true);
          expect(caBundles, `${where}: ${o.kind} ${o.metadata.name}`).toEqual([]);
        }
      }
    }, 300_000);
  }
});
