/** Shared by the gateway tests: the gateway Services real Helm renders, and a fleet's problems. */
import { join } from 'node:path';
import { expect } from 'vitest';
import { FleetError } from '../../lib/errors';
import { engineOf } from '../../lib/gitops/registry';
import { loadFleet } from '../../lib/pipeline';
import type { KubeObject } from '../../lib/kube';
import { objectAt } from '../helpers';
import { CHARTS, helmTemplate, parseManifests } from '../helm/harness';

/** The Services `helm template` renders for a HelmRelease of a rendered fleet. */
export async function renderedServices(files: Map<string, Record<string, any>[]>, path: string): Promise<KubeObject[]> {
  const ref = engineOf('flux').releaseOf(objectAt(files, path) as KubeObject, [])!;
  const result = await helmTemplate(ref, join(CHARTS, `${ref.chart}-${ref.version}`));
  expect(result.code, result.stderr).toBe(0);
  return parseManifests(result.stdout).filter((o) => o.kind === 'Service');
}

/** The FleetError's message for a fleet.yaml, or '' when it loads. */
export function problemsOf(text: string): string {
  try {
    loadFleet(text);
  } catch (e) {
    if (e instanceof FleetError) return e.message;
    throw e;
  }
  return '';
}
