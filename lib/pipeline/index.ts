/**
 * The one pipeline every command runs, as named steps with typed inputs and outputs; no step
 * reaches back into an earlier one:
 *
 *   load      fleet.yaml text → raw fleet, checked against the schema composed for its mesh type
 *   resolve   raw fleet → Fleet, every default filled in by the module that owns it
 *   check     the rules JSON Schema cannot express (core, mesh, add-ons); all problems at once
 *   plan      Fleet (+ what the CA store holds) → per cluster, a chart per stage
 *   render    plan → files in memory: manifests, the engine's delivery objects, dist/README.md
 *   validate  every emitted object against its upstream schema (and chart values)
 *   write     files → the output folder (staged, pruned) | compare: what differs on disk
 *
 * Steps 1–3 are in load.ts; `prepare` below runs every step but the last for a command, around the
 * repository's path rules (workspace.ts) and the CA store (store.ts). This folder and the
 * registries are the only places that know which modules exist.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ADDONS } from '../addons/registry';
import type { ChartPin } from '../contracts/chart';
import type { DeliveryChange } from '../contracts/engine';
import type { FleetPlan, PlanStep } from '../contracts/plan';
import { STAGES } from '../contracts/stages';
import type { Tree } from '../contracts/tree';
import { FleetError } from '../errors';
import { sortByPosition } from '../fleet/parse';
import type { Fleet } from '../fleet/types';
import { posixPath } from '../format/paths';
import { ENGINES } from '../gitops/registry';
import type { KubeObject } from '../kube';
import { MESHES } from '../mesh/registry';
import { assertOwned, diffTree, writeTree, type WriteResult } from '../output/write';
import { render, type Rendered } from '../render/render';
import { locate, objectChanges } from '../review/diff';
import { SchemaValidator } from '../schema/validate';
import { sopsConfig } from '../sops/config';
import { loadFleetWithModules, modulesOf, type LocatePath, type Modules } from './load';
import { planClusters } from './plan';
import { openStore, type OpenedStore } from './store';
import { assertOwnOutput, DEFAULT_OUT, paths, repoPath, type Paths, type WorkspaceOptions } from './workspace';

export { check, fleetSchemaFor, load, loadFleet, loadFleetWithModules, modulesOf, resolve, type Loaded, type LocatePath, type Modules } from './load';

/** An emitted object failed its schema: a bug in meshfleet or in values passed through from fleet.yaml. */
export class SchemaError extends Error {
  constructor(readonly failures: readonly string[]) {
    super(`generated objects failed schema validation:\n${failures.map((f) => `  ${f}`).join('\n')}`);
    this.name = 'SchemaError';
  }
}

/**
 * One schema validator per process: it loads the schema files once and compiles each kind on first
 * use, so the override check of `plan` and the `validate` step share that work.
 */
let sharedValidator: SchemaValidator | undefined;
function defaultValidator(): SchemaValidator {
  return (sharedValidator ??= outputValidator());
}

/** A validator of what meshfleet writes, reading chart values the way every GitOps engine carries them. */
export function outputValidator(precompiled = true): SchemaValidator {
  return new SchemaValidator(Object.values(ENGINES).map((engine) => (obj: KubeObject) => engine.chartValues(obj)), precompiled);
}


/** Step 4: add-ons first (they publish facts on the plan), then the mesh. */
export function plan(fleet: Fleet, modules: Modules, pki?: unknown, file = 'fleet.yaml', validator: SchemaValidator = defaultValidator(), locate?: LocatePath): FleetPlan {
  const steps: PlanStep[] = [...modules.addons.map((a) => (p: Parameters<PlanStep>[0]) => a.plan(p)), (p) => modules.mesh.plan(p)];
  const gatewayApi = modules.mesh.gatewayApi?.(fleet);
  const planned = planClusters(fleet, modules.engine, steps, pki, modules.mesh.gatewayName, gatewayApi ? { gatewayApi } : {});
  // Overrides are checked here, where the releases exist: one that changes what meshfleet derives,
  // or names a release nothing installs, is refused like any other invalid field.
  // A fleet-wide override is checked on every cluster that installs the release: said once.
  const problems = [...new Map(planned.clusters.flatMap((c) => c.problems).map((p) => [`${p.path}\0${p.rule}`, p])).values()];
  const used = new Set(planned.clusters.flatMap((c) => [...c.usedOverrides]));
  const releases = (c: (typeof planned.clusters)[number]): string[] =>
    [...new Set(STAGES.flatMap((s) => c.chartsIn(s.name).map((h) => h.name)))].sort();
  const all = [...new Set(planned.clusters.flatMap(releases))].sort();
  for (const name of Object.keys(fleet.overrides)) {
    if (!used.has(`spec.overrides.${name}`)) {
      problems.push({ path: `spec.overrides.${name}`, rule: `no cluster of the fleet installs a Helm release named ${name}`, fix: `use one of ${all.join(', ')}` });
    }
  }
  planned.clusters.forEach((c) => {
    const i = c.cluster.index;
    for (const name of Object.keys(c.cluster.overrides)) {
      if (!used.has(`spec.clusters[${i}].overrides.${name}`)) {
        problems.push({ path: `spec.clusters[${i}].overrides.${name}`, rule: `${c.cluster.name} installs no Helm release named ${name}`, fix: `use one of ${releases(c).join(', ')}` });
      }
    }
  });
  // Overridden values are user input: a chart schema they break is a fleet.yaml problem, not ours.
  for (const c of problems.length === 0 ? planned.clusters : []) {
    for (const { install, where } of c.overridden) {
      for (const failure of validator.validateValues(install.chart, install.version, install.values ?? {}, 'values')) {
        problems.push({ path: where.join(' / '), rule: `${c.cluster.name}'s ${install.name} values, with the overrides merged, fail the chart's values.schema.json: ${failure}`, fix: 'correct the override (the chart\'s values.yaml shows each value\'s type)' });
      }
    }
  }
  if (problems.length > 0) {
    // A problem about several places (`a / b`) is shown at the first.
    throw new FleetError(file, sortByPosition(problems.map((p) => {
      const position = p.position ?? locate?.(p.path.split(' / ')[0]!);
      return position ? { ...p, position } : p;
    })));
  }
  return planned;
}

/** Step 6: every emitted object against its schema; throws SchemaError listing every failure. */
export function validate(rendered: Rendered, validator = defaultValidator()): void {
  const failures: string[] = [];
  for (const { path, object } of rendered.emitted) {
    // SOPS metadata is not part of the object the engine applies.
    const { sops: _sops, ...obj } = object;
    const ref = `${object.metadata?.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata?.name ?? ''}`;
    for (const problem of validator.validate(obj as typeof object)) failures.push(`${path}: ${object.kind} ${ref} ${problem}`);
  }
  if (failures.length > 0) throw new SchemaError(failures);
}

export interface RenderOptions {
  /** Where dist/ sits in the git repository the engine syncs, POSIX, e.g. "dist". */
  readonly repoPath: string;
  /** What the mesh's CA store holds; without it the secrets that come from it are left out. */
  readonly pki?: unknown;
}

/** Steps 4–6: plan, render (step 5) and validate a resolved fleet, all in memory. */
export function renderFleet(fleet: Fleet, options: RenderOptions, validator = defaultValidator()): Rendered {
  const modules = modulesOf(fleet);
  const planned = plan(fleet, modules, options.pki, undefined, validator);
  const rendered = render({ fleet, plan: planned, ...modules, pki: options.pki, repoPath: options.repoPath });
  validate(rendered, validator);
  return rendered;
}

/**
 * Paths in the output folder that a GitOps engine's own tooling writes (Flux's flux-system/): never
 * written, removed or read. Every engine's, so that switching engines leaves the old one's alone too.
 */
export const engineOwned = (path: string): boolean => Object.values(ENGINES).some((e) => e.ownsPath?.(path) ?? false);

/** Step 7: write the files into the output folder … */
export function write(outDir: string, rendered: Rendered, onDisk?: ReadonlyMap<string, string>): WriteResult {
  return writeTree(outDir, rendered.files, engineOwned, onDisk);
}

/** … or compare them with it: the paths that differ and the stale ones. */
export function compare(outDir: string, rendered: Rendered): { changed: string[]; stale: string[] } {
  return diffTree(outDir, rendered.files, engineOwned);
}

/** Every chart at every version some module can deliver, sorted: what imports/charts/ records. */
export function pinnedCharts(): ChartPin[] {
  const all = [...Object.values(MESHES).flatMap((m) => m.charts), ...ADDONS.flatMap((a) => a.charts)];
  return [...new Map(all.map((c) => [`${c.chart}-${c.version}`, c])).entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

/** A new CA store for the fleet's mesh (store-relative path → content); empty when the mesh has none. */
export async function createPki(fleet: Fleet): Promise<Map<string, string>> {
  return (await modulesOf(fleet).mesh.ca?.create(fleet)) ?? new Map();
}

/**
 * What a change of the output folder (old → new, dist-relative trees) makes the GitOps engines
 * delete on live clusters: every engine reads its own objects, so switching engines is covered too.
 */
export function pruneNotices(old: Tree, next: Tree, fleet: Fleet): string[] {
  if ([...old].every(([path, text]) => next.get(path) === text)) return [];
  const clustersOf = (tree: Tree): Set<string> => new Set([...tree.keys()].map((p) => locate(p).cluster).filter((c) => c !== '(fleet)'));
  const now = clustersOf(next);
  const { removed, added } = objectChanges(old, next);
  const pins = pinnedCharts();
  const change: DeliveryChange = {
    old, new: next, removed, added,
    clustersLeft: [...clustersOf(old)].filter((c) => !now.has(c)).sort(),
    contextOf: (cluster) => fleet.clusters.find((c) => c.name === cluster)?.context,
    chartOf: (chart, version) => pins.find((c) => c.chart === chart && c.version === version),
  };
  return Object.values(ENGINES).flatMap((e) => e.pruneNotices(change));
}

/** Everything a command knows before it writes: the fleet, its modules, the CA store, the rendered tree, .sops.yaml. */
export interface Prepared extends OpenedStore {
  readonly p: Paths;
  readonly fleet: Fleet;
  readonly modules: Modules;
  readonly warnings: readonly string[];
  readonly rendered: Rendered;
  readonly sopsPath: string;
  readonly sopsText: string;
  /** Where a fleet.yaml path is (line:column), for problems found after the plan. */
  readonly locate: LocatePath;
}

export interface PrepareOptions {
  /** A read-only command (synth --check, check, diff): nothing is written, the store is not changed. */
  readonly inMemoryOnly: boolean;
  /** false leaves the validate step to the caller (check reports its failures among the others). @default true */
  readonly validateSchemas?: boolean;
  /** false skips the CA store's review (diff compares; it does not judge the store). @default true */
  readonly reviewStore?: boolean;
}

/**
 * load → … → render (and validate) in memory, with the CA store opened on the way (lib/pipeline/store.ts):
 * a synth plans its re-encryptions and removals (refusing stale recipients without an operator identity),
 * `--check`/`check` refuse any, `diff` skips the review.
 */
export async function prepare(options: WorkspaceOptions, { inMemoryOnly, validateSchemas = true, reviewStore = true }: PrepareOptions): Promise<Prepared> {
  const p = paths(options);
  const { fleet, modules, warnings, locate } = loadFleetWithModules(readFileSync(p.fleetPath, 'utf8'), options.fleet);
  const { mesh } = modules;
  if (!inMemoryOnly) assertOwned(p.outDir);
  assertOwnOutput(p, options, fleet.name);
  // .sops.yaml describes the default output folder (dist/ beside fleet.yaml) whatever --out is, so
  // rendering elsewhere never breaks the rules the default output relies on.
  const rules = mesh.ca?.sopsRules(fleet, posixPath(relative(p.fleetDir, p.pkiDir)), DEFAULT_OUT) ?? [];
  const store = await openStore({ p, fleet, mesh, engine: modules.engine, rules, inMemoryOnly, reviewStore });
  const repo = repoPath(p.fleetPath, p.outDir);
  const rendered = render({ fleet, plan: plan(fleet, modules, store.pki, options.fleet, undefined, locate), ...modules, pki: store.pki, repoPath: repo, notices: [...store.rotationNotice, ...store.pendingRevocations] });
  if (validateSchemas) validate(rendered);
  return { ...store, p, fleet, modules, warnings, rendered, sopsPath: join(p.fleetDir, '.sops.yaml'), sopsText: sopsConfig(rules), locate };
}
