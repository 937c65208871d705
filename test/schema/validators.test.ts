/**
 * The precompiled validators of imports/validators/ (scripts/validators.ts): generated from exactly
 * the committed schemas and the fleet.yaml schemas lib/ composes now, returning the very errors
 * the run-time compiler returns, and loaded per kind: a synth loads neither ajv's compiler nor the
 * modules of kinds it does not emit.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { fleetSchemaFor, loadFleet, outputValidator, renderFleet } from '../../lib/pipeline';
import { FLEET_AJV_OPTIONS, fleetValidator, schemaHash } from '../../lib/fleet/schema';
import { MESHES } from '../../lib/mesh/registry';
import { validatorIndex, VALIDATORS } from '../../lib/schema/precompiled';
import type { KubeObject } from '../../lib/kube';
import { valuesSchemas } from '../../lib/schema/validate';
import { ensureBuilt } from '../../scripts/build.mjs';
import { inputsHash } from '../../scripts/validators';
import { editFleet, ROOT, tempDir } from '../helpers';

const STALE = 'imports/validators/ is stale: run `npm run import -- --validators-only` (or `npm run import`) and commit imports/validators/';
const index = validatorIndex()!;
const examples = readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).sort();

describe('imports/validators/', () => {
  it('exists and was generated from the committed schemas with the current generator and options', () => {
    expect(index, STALE).not.toBeNull();
    expect(index.inputs, STALE).toBe(inputsHash());
  });

  it('holds a module for every mesh type\'s fleet.yaml schema as lib/ composes it now', () => {
    for (const type of ['', ...Object.keys(MESHES)]) {
      expect(index.fleet[type]?.schema, `${STALE} (fleet.yaml schema of mesh type "${type}")`).toBe(schemaHash(fleetSchemaFor(type || undefined)));
    }
  });

  it('holds exactly the modules its index names', () => {
    const named = new Set(['index.json', 'formats.cjs', ...Object.values(index.kinds), ...index.shared, ...Object.values(index.values), ...Object.values(index.fleet).map((f) => f.file)]);
    expect(readdirSync(VALIDATORS).sort()).toEqual([...named].sort());
    expect(Object.keys(index.values).sort()).toEqual(Object.keys(valuesSchemas()).sort());
  });
});

/** Objects that break a schema in the ways that matter: an unknown field, wrong types, several at once. */
function broken(obj: KubeObject): KubeObject[] {
  const typo = structuredClone(obj) as Record<string, any>;
  typo.metadata.labelz = { a: 'b' };
  const several = structuredClone(obj) as Record<string, any>;
  several.metadata.name = 42;
  several.metadata.labels = { ok: 'yes', bad: 7 };
  if (several.spec && typeof several.spec === 'object') several.spec = { ...several.spec, unknownField: true };
  // Workloads: inside the pod spec (a module of its own, k8s_io.k8s.api.core.v1.PodSpec.cjs).
  const pod = several.spec?.template?.spec ?? several.spec?.jobTemplate?.spec?.template?.spec;
  if (pod) Object.assign(pod, { hostNetwork: 'yes', containerz: [] }, pod.containers?.[0] ? { containers: [{ ...pod.containers[0], imagePullPolicy: 5 }] } : {});
  return [typo as KubeObject, several as KubeObject, { ...obj, metadata: 'text' } as unknown as KubeObject];
}

describe('a precompiled validator', () => {
  const precompiled = outputValidator();
  const runtime = outputValidator(false);
  const emitted = new Map<string, KubeObject>();
  beforeAll(() => {
    for (const example of examples) {
      const fleet = loadFleet(readFileSync(join(ROOT, 'examples', example), 'utf8'), example);
      for (const { object } of renderFleet(fleet, { repoPath: 'dist' }).emitted) {
        const { sops: _sops, ...obj } = object;
        emitted.set(`${object.apiVersion}/${object.kind}`, obj as KubeObject);
      }
    }
  });

  it('exists for every kind the examples emit', () => {
    expect(emitted.size).toBeGreaterThan(15);
    expect([...emitted.keys()].filter((k) => !index.kinds[k])).toEqual([]);
  });

  it('reports what the run-time compiled one reports, for valid and broken objects of every kind the examples emit', () => {
    let failing = 0;
    for (const [key, obj] of emitted) {
      expect(precompiled.validate(obj), key).toEqual([]);
      for (const bad of broken(obj)) {
        const want = runtime.validate(bad);
        expect(want.length, key).toBeGreaterThan(0);
        expect(precompiled.validate(bad), key).toEqual(want);
        failing++;
      }
    }
    expect(failing).toBe(emitted.size * 3);
  });

  it('checks chart values as the run-time compiled one does, chart defaults included', () => {
    // Breaks each chart's schema: each chart types some of these.
    const bad = { service: { type: 42 }, replicaCount: 'two', unknownTopLevel: true, resources: { limits: [] }, controller: { livenessProbe: { enabled: 'yes' } }, speaker: { logLevel: 'loud' }, debug: { enabled: 'yes' }, cluster: { id: 'one' }, ipam: { mode: 7 } };
    for (const key of Object.keys(valuesSchemas())) {
      const [chart, version] = key.split('@') as [string, string];
      expect(precompiled.validateValues(chart, version, {}, 'values'), key).toEqual(runtime.validateValues(chart, version, {}, 'values'));
      const want = runtime.validateValues(chart, version, bad, 'values');
      expect(want.length, key).toBeGreaterThan(0);
      expect(precompiled.validateValues(chart, version, bad, 'values'), key).toEqual(want);
    }
  });
});

describe('the precompiled fleet.yaml validator', () => {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  const compile = (type: string): ValidateFunction => new Ajv(FLEET_AJV_OPTIONS).compile(fleetSchemaFor(type || undefined));
  const bad = [
    editFleet((d) => d.setIn(['spec', 'clusters', 0, 'nmae'], 'x')),
    editFleet((d) => d.setIn(['spec', 'clusters', 1, 'name'], 'Not_A_Label')),
    editFleet((d) => d.deleteIn(['spec', 'secrets'])),
    editFleet((d) => d.setIn(['spec', 'mesh', 'type'], 'consul')),
    editFleet((d) => d.setIn(['spec', 'gitops', 'engine'], 7)),
  ];

  it('is used when it was generated from the composed schema, and reports what ajv compiling that schema reports', async () => {
    const { parse } = await import('yaml');
    for (const type of ['', ...Object.keys(MESHES)]) {
      const fn = fleetValidator(type || undefined, fleetSchemaFor(type || undefined));
      expect(fn, type).toBe(createRequire(import.meta.url)(join(VALIDATORS, index.fleet[type]!.file)));
      const ref = compile(type);
      for (const text of bad) {
        const data = parse(text) as unknown;
        expect(fn(data), type).toBe(ref(data));
        expect(fn.errors, type).toEqual(ref.errors);
      }
    }
  });

  it('is not used for a schema it was not generated from: that one is compiled', () => {
    const changed = { ...fleetSchemaFor('istio'), description: 'changed' };
    const fn = fleetValidator('istio', changed);
    expect(fn).not.toBe(createRequire(import.meta.url)(join(VALIDATORS, index.fleet.istio!.file)));
    expect(fn({})).toBe(false);
  });
});

describe('a synth, as users run it (bundled, plain node)', () => {
  /** The CommonJS modules a bundled in-memory synth of `fleet` loads and the files it reads, relative to the project. */
  async function loaded(fleet: string): Promise<string[]> {
    const js = await ensureBuilt('scripts/bench-synth.ts');
    const dir = tempDir('meshfleet-validators-');
    const hook = join(dir, 'hook.cjs');
    // Every CommonJS module loaded and every file read, written when the process exits.
    writeFileSync(hook, [
      "const fs = require('fs'); const read = []; const readFileSync = fs.readFileSync;",
      'fs.readFileSync = function (path, ...rest) { read.push(String(path)); return readFileSync.call(this, path, ...rest); };',
      `process.on('exit', () => fs.writeFileSync(${JSON.stringify(join(dir, 'loaded.json'))}, JSON.stringify([...Object.keys(require.cache), ...read])));`,
    ].join('\n'));
    const r = spawnSync(process.execPath, ['--require', hook, js, join(ROOT, fleet)], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files = JSON.parse(readFileSync(join(dir, 'loaded.json'), 'utf8')) as string[];
    return files.map((f) => (f.startsWith(ROOT) ? f.slice(ROOT.length + 1) : f));
  }

  it('of the default fleet loads precompiled validators only: never ajv\'s compiler, never the schema files', async () => {
    const files = await loaded('fleet.yaml');
    expect(files.filter((f) => f.includes('imports/validators/')).length).toBeGreaterThan(10);
    expect(files, 'the hook sees the files read').toContain('imports/validators/index.json');
    expect(files.filter((f) => /node_modules\/ajv\/dist\/(core|ajv|compile\/index)\.js$/.test(f) || f.includes('imports/schemas/'))).toEqual([]);
  });

  it('bundles one copy of yaml when cdk8s\'s own copy is the same version', async () => {
    const js = readFileSync(await ensureBuilt('scripts/bench-synth.ts'), 'utf8');
    const version = (dir: string): string => (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { version: string }).version;
    const copies = ['node_modules/yaml/dist/', 'node_modules/cdk8s/node_modules/yaml/dist/'].filter((d) => js.includes(`// ${d}`));
    expect(copies).toHaveLength(version('node_modules/yaml') === version('node_modules/cdk8s/node_modules/yaml') ? 1 : 2);
  });

  it('of a Linkerd fleet loads no Istio validator', async () => {
    expect(existsSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'))).toBe(true);
    const files = await loaded('examples/linkerd-kpaas.yaml');
    expect(files.some((f) => f.includes('imports/validators/fleet_linkerd.cjs'))).toBe(true);
    expect(files.filter((f) => f.includes('istio.io_'))).toEqual([]);
  });
});
