/**
 * Steps 1–3 of the pipeline (lib/pipeline/index.ts): fleet.yaml text → a valid, resolved Fleet and
 * the modules it uses. This file and the registries are the only places that know which modules exist.
 */
import type { ValidateFunction } from 'ajv';
import { ADDONS } from '../addons/registry';
import type { AddOn } from '../contracts/addon';
import type { GitOpsEngine } from '../contracts/engine';
import type { MeshModule } from '../contracts/mesh';
import { kubernetesRangeLine } from '../contracts/support';
import { FleetError } from '../errors';
import { compareNames, resolveCore } from '../fleet/defaults';
import { formatPath, parseFleetText, problemCollector, schemaProblems, segmentsOf, type AddWarning, type ParsedFleet } from '../fleet/parse';
import { coreRules } from '../fleet/rules';
import { composeFleetSchema, fleetValidator, type JsonSchema } from '../fleet/schema';
import type { Fleet, RawFleet } from '../fleet/types';
import { ENGINES, engineOf } from '../gitops/registry';
import { MESHES, meshOf } from '../mesh/registry';

/** line:column in fleet.yaml of a path as problems write it (`spec.overrides.istiod.resourcez`). */
export type LocatePath = (path: string) => string | undefined;

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

const compiled = new Map<string, ValidateFunction>();

const CORE_CLUSTER_FIELDS = ['name', 'context', 'apiServer', 'ageRecipient', 'cni', 'gateway', 'registries', 'kubernetesVersion', 'overrides'];

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
  // spec.clusters[].kubernetesVersion outside the mesh release's supported range: a warning (a
  // chart Helm would refuse there is an error, at plan: lib/helm/declared.ts kubeVersionProblem).
  for (const release of loaded.modules.mesh.releasesInUse?.(fleet) ?? []) {
    fleet.clusters.forEach((c, i) => {
      const line = c.kubernetesVersion !== undefined ? kubernetesRangeLine(release, c.kubernetesVersion) : undefined;
      if (line) warn(['spec', 'clusters', i, 'kubernetesVersion'], `${line}; upgrade the cluster, or pick a release that supports it (${release.field})`);
    });
  }
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
