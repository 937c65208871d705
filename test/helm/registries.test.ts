/**
 * spec.registries (issue 23 item 6): with an image mirror, every pod image Helm renders for every
 * release of every example, and every image of meshfleet's own objects (samples, Jobs), starts with
 * the mirror; with a chart mirror, every release is fetched from it.
 */
import { describe, expect, it } from 'vitest';
import { mirrorImage } from '../../lib/format/images';
import { loadFleet } from '../../lib/pipeline';
import type { KubeObject } from '../../lib/kube';
import { editFleet, hasHelm } from '../helpers';
import { CHARTS, chartInfo, fleetFiles, helmTemplate, parseManifests, releaseCases, renderedFleet, versionFleets } from './harness';
import { existsSync } from 'node:fs';

const MIRROR = 'harbor.example.com/mirror';
const withMirror = (text: string): string => editFleet((d) => d.setIn(['spec', 'registries'], d.createNode({ images: MIRROR, charts: 'oci://harbor.example.com/charts' })), text);

/** Every container image of the workloads among `objects`. */
function podImages(objects: readonly KubeObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const spec = o.spec as Record<string, any> | undefined;
    const pods = [spec?.template?.spec, spec?.jobTemplate?.spec?.template?.spec, o.kind === 'Pod' ? spec : undefined].filter(Boolean);
    for (const pod of pods) for (const c of [...(pod.containers ?? []), ...(pod.initContainers ?? [])]) out.push(String(c.image));
  }
  return out;
}

describe('mirrorImage', () => {
  it.each([
    ['quay.io/cilium/cilium:v1.16.5@sha256:abc', `${MIRROR}/cilium/cilium:v1.16.5@sha256:abc`],
    ['docker.io/istio/pilot:1.26.8', `${MIRROR}/istio/pilot:1.26.8`],
    ['busybox:1.28', `${MIRROR}/library/busybox:1.28`],
    ['curlimages/curl:8.16.0', `${MIRROR}/curlimages/curl:8.16.0`],
    ['localhost:5000/x/y', `${MIRROR}/x/y`],
  ])('%s → %s', (image, mirrored) => expect(mirrorImage(image, MIRROR)).toBe(mirrored));
});

const skip = !hasHelm ? 'helm is not installed (npm ci installs the pinned helm)' : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;

describe('spec.registries', () => {
  for (const { file, name, text } of [...fleetFiles().map((f) => ({ ...f, name: f.file })), ...versionFleets()]) {
    const mirrored = withMirror(text);

    it(`${name}: meshfleet's own workloads pull through the mirror`, () => {
      const files = renderedFleet(mirrored, file);
      const images = podImages([...files.values()].flat() as KubeObject[]);
      expect(images.filter((i) => !i.startsWith(`${MIRROR}/`))).toEqual([]);
    });

    it.skipIf(skip !== undefined)(`${name}: every pod image of every release Helm renders starts with the mirror, and every chart comes from the chart mirror${skip ? ` — SKIPPED: ${skip}` : ''}`, async () => {
      const cases = releaseCases(file, mirrored);
      expect(cases.length).toBeGreaterThan(0);
      const fleet = loadFleet(mirrored);
      const outside: string[] = [];
      for (const c of cases) {
        expect(c.ref.url ?? '', `${c.cluster} ${c.ref.name}`).toBe('oci://harbor.example.com/charts');
        if (!c.chartDir) continue;
        const r = await helmTemplate(c.ref, c.chartDir, c.kubeVersion);
        expect(r.code, r.stderr).toBe(0);
        // Istio's gateway pods are injected (`image: auto`): istiod's injector gives them its hub.
        // The hub is the chart's own, through the mirror (docker.io/istio up to 1.29, registry.istio.io/release from 1.30).
        if (c.ref.chart === 'istiod') expect(r.stdout, `${c.cluster} istiod's injector`).toContain(`"hub": "${mirrorImage((chartInfo(c.chartDir).defaults as { global: { hub: string } }).global.hub, MIRROR)}"`);
        for (const image of podImages(parseManifests(r.stdout))) {
          if (!image.startsWith(`${MIRROR}/`) && !(c.ref.chart === 'gateway' && image === 'auto')) outside.push(`${c.cluster} ${c.ref.chart}: ${image}`);
        }
      }
      expect(outside).toEqual([]);
      expect(fleet.clusters.every((c) => c.registries.images === MIRROR)).toBe(true);
    }, 300_000);
  }
});
