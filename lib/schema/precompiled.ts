/**
 * The precompiled validators in imports/validators/ (ajv standalone modules, one per kind, per
 * chart and per mesh type's fleet.yaml schema), written by `npm run import` (scripts/validators.ts).
 * Each module is loaded on first use, so a fleet pays only for the kinds it emits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../root';

export const VALIDATORS = join(PROJECT_ROOT, 'imports', 'validators');

const requireCjs = createRequire(import.meta.url);

/** imports/validators/index.json: which module validates what. */
export interface ValidatorIndex {
  /** sha256 of everything the modules are generated from (test/schema/validators.test.ts recomputes it). */
  readonly inputs: string;
  /** "apiVersion/Kind" → module file. */
  readonly kinds: Readonly<Record<string, string>>;
  /** Modules of Kubernetes definitions the kind modules require instead of each holding a copy. */
  readonly shared: readonly string[];
  /** "<chart>@<version>" → module file; it also exports `defaults`, the chart's values.yaml. */
  readonly values: Readonly<Record<string, string>>;
  /** Mesh type ("" for an unknown one) → the module of its fleet.yaml schema and that schema's sha256. */
  readonly fleet: Readonly<Record<string, { readonly file: string; readonly schema: string }>>;
}

let index: ValidatorIndex | null | undefined;

/** The index of imports/validators/; null when there is none (everything then compiles at run time). */
export function validatorIndex(): ValidatorIndex | null {
  if (index === undefined) {
    try {
      index = JSON.parse(readFileSync(join(VALIDATORS, 'index.json'), 'utf8')) as ValidatorIndex;
    } catch {
      index = null;
    }
  }
  return index;
}

/** One module of imports/validators/ (CommonJS, so it loads synchronously and only when asked for). */
export function loadValidator<T>(file: string): T {
  return requireCjs(join(VALIDATORS, file)) as T;
}
