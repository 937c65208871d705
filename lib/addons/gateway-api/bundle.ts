/** The Gateway API releases meshfleet can install, and their objects (imports/gateway-api/, from `npm run import`). */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../root';

/** Standard-channel releases with a recorded bundle; the newest is the default. */
export const GATEWAY_API_VERSIONS = ['1.5.1'] as const;
export const GATEWAY_API_DEFAULT = GATEWAY_API_VERSIONS.at(-1)!;

export type BundleObject = { apiVersion: string; kind: string; metadata: { name: string; annotations?: Record<string, string> } } & Record<string, unknown>;

const loaded = new Map<string, readonly BundleObject[]>();

/** The objects of the standard-channel bundle of `version`, in the release's file order. */
export function gatewayApiBundle(version: string): readonly BundleObject[] {
  let objects = loaded.get(version);
  if (!objects) {
    const file = join(PROJECT_ROOT, 'imports', 'gateway-api', `standard-${version}.json`);
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run import\``);
    objects = (JSON.parse(readFileSync(file, 'utf8')) as { objects: BundleObject[] }).objects;
    loaded.set(version, objects);
  }
  return objects;
}
