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
 * This file and the registries are the only places that know which modules exist.
 */
import type { ValidateFunction } from 'ajv';
import { ADDONS } from '../addons/registry';
import type { AddOn } from '../contracts/addon';
import { FleetError } from '../errors';
import { compareNames, resolveCore } from '../fleet/defaults';
import { formatPath, parseFleetText, problemCollector, schemaProblems, segmentsOf, sortByPosition, type AddWarning, type ParsedFleet } from '../fleet/parse';
import { coreRules } from '../fleet/rules';
import { composeFleetSchema, fleetValidator, type JsonSchema } from '../fleet/schema';
import type { Fleet, RawFleet } from '../fleet/types';
import { ENGINES, engineOf } from '../gitops/registry';
import type { DeliveryChange, GitOpsEngine } from '../contracts/engine';
import { MESHES, meshOf } from '../mesh/registry';
import type { MeshModule } from '../contracts/mesh';
import { STAGES } from '../contracts/stages';
import { diffTree, writeTree, type WriteResult } from '../output/write';
import type { FleetPlan, PlanStep } from '../contracts/plan';
import { planClusters } from './plan';
import { render, type Rendered } from '../render/render';
import type { KubeObject } from '../kube';
import { SchemaValidator } from '../schema/validate';
import { locate, objectChanges } from '../review/diff';
import type { ChartPin } from '../contracts/chart';
import type { Tree } from '../contracts/tree';

/** The modules a fleet uses: its mesh, its engine, and every add-on. */
export interface Modules {
  readonly mesh: MeshModule;
  readonly engine: GitOpsEngine;
  readonly addons: readonly AddOn[];
}

export interface Loaded {
  readonly parsed: ParsedFleet;
  readonly raw: RawFleet;
  readonly modules: Modules;
  /** Things that render but that the user should know (fields the mesh type ignores). */
  readonly warnings: readonly string[];
}

/** An emitted object failed its schema: a bug in meshfleet or in values passed through from fleet.yaml. */
export class SchemaError extends Error {
  constructor(readonly failures: readonly string[]) {
    super(`generated objects failed schema validation:\n${failures.map((f) => `  ${f}`).join('\n')}`);
    this.name = 'SchemaError';
  }
}

const compiled = new Map<string, ValidateFunction>();

const CORE_CLUSTER_FIELDS = ['name', 'context', 'apiServer', 'ageRecipient', 'cni', 'gateway', 'overrides'];

/** The fields of mesh types other than `type` (per cluster, spec.mesh.<t>, spec.samples), which the active mesh ignores. */
function foreignFields(type: string | undefined): { cluster: string[]; blocks: string[]; samples: string[] } {
  const active = type ? MESHES[type] : undefined;
  const own = new Set([...CORE_CLUSTER_FIELDS, ...ADDONS.flatMap((a) => Object.keys(a.clusterSchema)),
    ...Object.keys(active?.clusterSchema ?? {})]);
  const ownSamples = new Set(['enabled', ...Object.keys(active?.samplesSchema ?? {})]);
  const others = Object.values(MESHES).filter((m) => m.type !== type);
  return {
    cluster: [...new Set(others.flatMap((m) => Object.keys(m.clusterSchema)))].filter((f) => !own.has(f)).sort(),
    blocks: others.filter((m) => m.schema !== undefined).map((m) => m.type),
    samples: [...new Set(others.flatMap((m) => Object.keys(m.samplesSchema ?? {})))].filter((f) => !ownSamples.has(f)).sort(),
  };
}

/**
 * The add-ons in use under a mesh: an add-on whose per-cluster block the mesh itself owns (the
 * mesh's clusterSchema declares the same key) steps aside, since the mesh's schema wins for it.
 */
function addonsFor(mesh: MeshModule): readonly AddOn[] {
  const meshKeys = new Set(Object.keys(mesh.clusterSchema));
  return ADDONS.filter((a) => !Object.keys(a.clusterSchema).some((k) => meshKeys.has(k)));
}

/** The fleet.yaml schema for a mesh type (compiled once per type). */
export function fleetSchemaFor(type: string | undefined): JsonSchema {
  const mesh = type !== undefined ? MESHES[type] : undefined;
  const foreign = foreignFields(mesh?.type);
  return composeFleetSchema({
    meshTypes: Object.keys(MESHES),
    engines: Object.keys(ENGINES),
    ...(mesh ? { meshType: mesh.type, ...(mesh.schema ? { meshSchema: mesh.schema } : {}) } : {}),
    clusterProperties: Object.assign({}, ...ADDONS.map((a) => a.clusterSchema), mesh?.clusterSchema ?? {}),
    ...(mesh?.samplesSchema ? { samplesProperties: mesh.samplesSchema } : {}),
    foreignClusterFields: foreign.cluster,
    foreignMeshBlocks: foreign.blocks,
    foreignSamplesFields: foreign.samples,
  });
}

function validatorFor(type: string | undefined): ValidateFunction {
  const key = type ?? '';
  let fn = compiled.get(key);
  if (!fn) compiled.set(key, (fn = fleetValidator(type, fleetSchemaFor(type))));
  return fn;
}

/** Step 1: parse fleet.yaml and check it against the schema of its mesh type. */
export function load(text: string, file = 'fleet.yaml'): Loaded {
  const parsed = parseFleetText(text, file);
  const meshType = (parsed.data as { spec?: { mesh?: { type?: unknown } } } | null)?.spec?.mesh?.type;
  const known = typeof meshType === 'string' && MESHES[meshType] !== undefined ? meshType : undefined;
  const validate = validatorFor(known);
  if (!validate(parsed.data)) {
    throw new FleetError(file, schemaProblems(validate.errors ?? [], parsed.at));
  }
  const raw = parsed.data as RawFleet;
  const mesh = meshOf(raw.spec.mesh.type);
  const engine = engineOf(raw.spec.gitops.engine ?? 'flux');
  const foreign = foreignFields(mesh.type);
  const ignored = [
    ...foreign.blocks.filter((b) => raw.spec.mesh[b] !== undefined).map((b) => `spec.mesh.${b}`),
    ...raw.spec.clusters.flatMap((c, i) => [...(mesh.noGateway ? ['gateway'] : []), ...foreign.cluster].filter((f) => c[f] !== undefined).map((f) => `spec.clusters[${i}].${f}`)),
    ...foreign.samples.filter((f) => raw.spec.samples?.[f] !== undefined).map((f) => `spec.samples.${f}`),
  ];
  const warnings = ignored.length === 0 ? [] : [
    `${file}: mesh type ${mesh.type} ignores ${ignored.join(', ')} (fields of other mesh types); remove them, or keep them to switch back later`,
  ];
  return { parsed, raw, modules: { mesh, engine, addons: addonsFor(mesh) }, warnings };
}

/** Step 2: fill in every default, each module its own. */
export function resolve(loaded: Loaded): Fleet {
  const { raw, modules } = loaded;
  return resolveCore(raw, {
    mesh: { type: modules.mesh.type, settings: modules.mesh.resolve(raw) },
    clusterMesh: (c, i) => modules.mesh.resolveCluster(c, i, raw),
    ...(modules.mesh.cni ? { cni: modules.mesh.cni } : {}),
    ...(modules.mesh.gatewayServiceType ? { gatewayServiceType: true } : {}),
    ...(modules.mesh.networkOf ? { networkOf: (m: unknown, name: string) => modules.mesh.networkOf!(m, name) } : {}),
    clusterAddons: (c) => {
      const out: Record<string, unknown> = {};
      for (const addon of modules.addons) {
        const settings = addon.resolveCluster(c, raw);
        if (settings !== undefined) out[addon.name] = settings;
      }
      return out;
    },
  });
}

/** Step 3: the rules JSON Schema cannot express, every problem at once, in file order; returns the warnings. */
export function check(fleet: Fleet, loaded: Loaded): string[] {
  const { add, problems } = problemCollector(loaded.parsed.at);
  const warnings: string[] = [];
  const warned = new Set<string>();
  const warn: AddWarning = (path, message) => {
    warned.add(formatPath(path));
    const position = loaded.parsed.at(path);
    warnings.push(`${loaded.parsed.file}${position ? `:${position}` : ''}  ${formatPath(path)}: ${message}`);
  };
  coreRules(fleet, loaded.raw, add, !loaded.modules.mesh.noGateway);
  loaded.modules.mesh.rules(fleet, loaded.raw, add, warn);
  for (const addon of loaded.modules.addons) addon.rules(fleet, loaded.raw, add, warn);
  // Only an add-on (MetalLB) gives a Service the address it asks for; a cloud load balancer picks its own.
  if (!loaded.modules.mesh.noGateway) {
    fleet.clusters.forEach((c, i) => {
      const asked = loaded.raw.spec.clusters[i]?.gateway?.serviceAddress;
      if (asked === undefined || c.gateway.serviceType === 'NodePort' || loaded.modules.addons.some((a) => a.assignsGatewayAddress?.(c))) return;
      add(['spec', 'clusters', i, 'gateway', 'serviceAddress'], asked, `nothing in ${c.name} assigns the gateway's LoadBalancer Service the address it asks for`,
        'add a metallb block whose pool holds the address, or remove gateway.serviceAddress where a cloud load balancer gives the Service its address');
    });
  }
  // A pinned address nothing here assigns must be forwarded by something in front (a NAT, a cloud
  // LB); said once per field, unless a module already warned about it (e.g. an unused address).
  if (loaded.modules.mesh.type !== 'none') {
    fleet.clusters.forEach((c, i) => {
      const path = ['spec', 'clusters', i, 'gateway', 'address'];
      if (c.gateway.address === undefined || warned.has(formatPath(path)) || loaded.modules.addons.some((a) => a.assignsGatewayAddress?.(c))) return;
      // A NodePort gateway says so: the NAT in front forwards the address to the nodes.
      if (c.gateway.serviceType === 'NodePort') return;
      warn(path, `is announced to the other clusters, but nothing in ${c.name} assigns it to the gateway's LoadBalancer Service: ` +
        'if a cloud load balancer gets this address, nothing to do; if nothing in the cluster assigns LoadBalancer addresses, ' +
        `Helm waits for one forever and the mesh stage never becomes Ready: set ${loaded.modules.mesh.type === 'cilium' ? 'cilium.apiserverService: NodePort with cilium.nodeAddresses' : 'gateway.serviceType: NodePort (a NAT in front forwards the address to the NodePorts)'}, ` +
        'or add a metallb block whose pool holds the address');
    });
  }
  const found = problems();
  if (found.length > 0) throw new FleetError(loaded.parsed.file, found);
  return warnings;
}

/** Steps 1–3: fleet.yaml text → a valid, resolved Fleet, and the modules it uses. */
export function loadFleetWithModules(text: string, file = 'fleet.yaml'): { fleet: Fleet; modules: Modules; warnings: readonly string[]; locate: LocatePath } {
  const loaded = load(text, file);
  const resolved = resolve(loaded);
  const warnings = check(resolved, loaded);
  // From here on clusters are in name order (rules above report in file order): nothing rendered
  // depends on where a cluster sits in spec.clusters, so reordering the list changes no output.
  const fleet: Fleet = { ...resolved, clusters: [...resolved.clusters].sort((a, b) => compareNames(a.name, b.name)) };
  const locate: LocatePath = (path) => loaded.parsed.at(segmentsOf(loaded.parsed.data, path), true);
  return { fleet, modules: loaded.modules, warnings: [...loaded.warnings, ...warnings], locate };
}

/** Steps 1–3, for callers that only need the Fleet. */
export function loadFleet(text: string, file = 'fleet.yaml'): Fleet {
  return loadFleetWithModules(text, file).fleet;
}

/** The modules of an already resolved fleet. */
export function modulesOf(fleet: Fleet): Modules {
  const mesh = meshOf(fleet.mesh.type);
  return { mesh, engine: engineOf(fleet.gitops.engine), addons: addonsFor(mesh) };
}

/** Step 4: add-ons first (they publish facts on the plan), then the mesh. */
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

/** line:column in fleet.yaml of a path as problems write it (`spec.overrides.istiod.resourcez`). */
export type LocatePath = (path: string) => string | undefined;

export function plan(fleet: Fleet, modules: Modules, pki?: unknown, file = 'fleet.yaml', validator: SchemaValidator = defaultValidator(), locate?: LocatePath): FleetPlan {
  const steps: PlanStep[] = [...modules.addons.map((a) => (p: Parameters<PlanStep>[0]) => a.plan(p)), (p) => modules.mesh.plan(p)];
  const planned = planClusters(fleet, modules.engine, steps, pki, modules.mesh.gatewayName);
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
      for (const failure of validator.validateValues(`${install.repository.name}/${install.chart}`, install.values ?? {}, 'values')) {
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

/** Step 7: write the files into the output folder … */
export function write(outDir: string, rendered: Rendered, onDisk?: ReadonlyMap<string, string>): WriteResult {
  return writeTree(outDir, rendered.files, onDisk);
}

/** … or compare them with it: the paths that differ and the stale ones. */
export function compare(outDir: string, rendered: Rendered): { changed: string[]; stale: string[] } {
  return diffTree(outDir, rendered.files);
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
