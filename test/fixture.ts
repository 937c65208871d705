/** The shape of the per-run fixture made by test/global-setup.ts. */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The default fleet as the tool ships it (examples/kpaas-csp.yaml): never the user's own fleet.yaml. */
export const DEFAULT_FLEET_TEXT = readFileSync(join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'examples', 'kpaas-csp.yaml'), 'utf8');

export interface AgeKey {
  identity: string;
  recipient: string;
}

export interface Fixture {
  /** Holds fleet.yaml, pki/ and operator.agekey. */
  dir: string;
  /** The default fleet, with every age recipient replaced by one of the identities below. */
  fleetText: string;
  operator: AgeKey;
  clusters: Record<string, AgeKey>;
  /** A spare identity, for a cluster added by a test. */
  extra: AgeKey;
}

declare module 'vitest' {
  export interface ProvidedContext {
    fixture: Fixture;
  }
}
