/**
 * Regenerates imports/: the typed cdk8s classes (`cdk8s import` output) and the JSON schemas the
 * synth-time validator loads, from the one list of upstream sources in cdk8s.yaml.
 *
 * Usage: npm run import                      everything
 *        npm run import -- --validators-only  only imports/validators/ (after editing a fleet.yaml
 *                                             schema fragment or scripts/validators.ts)
 *
 * Sources are read from the offline mirror (../shared/upstream, or $MESHFLEET_UPSTREAM) when it
 * holds them, and downloaded from the URLs in cdk8s.yaml otherwise. Everything written here is
 * generated: edit this script or cdk8s.yaml, never the files under imports/.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { writeChartKeys } from './import-charts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const upstream = resolve(process.env.MESHFLEET_UPSTREAM ?? join(root, '..', 'shared', 'upstream'));
const require = createRequire(import.meta.url);
// cdk8s-cli exports no programmatic import API, so its modules are loaded by file path.
const cli = dirname(require.resolve('cdk8s-cli/package.json'));

const K8S_SCHEMA_URL = 'https://raw.githubusercontent.com/cdk8s-team/cdk8s/master/kubernetes-schemas/v1.32.0/_definitions.json';

/** Where each upstream URL lives in the offline mirror. */
const MIRROR: Record<string, string> = {
  [K8S_SCHEMA_URL]: 'k8s/cdk8s-kubernetes-schemas-v1.32.0-_definitions.json',
  'https://raw.githubusercontent.com/istio/istio/1.26.8/manifests/charts/base/files/crd-all.gen.yaml': 'crds/istio/crd-all.gen.yaml',
  'https://raw.githubusercontent.com/istio/istio/1.23.6/manifests/charts/istio-operator/crds/crd-operator.yaml': 'crds/istio/crd-operator.yaml',
  'https://raw.githubusercontent.com/fluxcd/kustomize-controller/v1.6.1/config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml': 'crds/flux/kustomize.toolkit.fluxcd.io_kustomizations.yaml',
  'https://raw.githubusercontent.com/fluxcd/helm-controller/v1.3.0/config/crd/bases/helm.toolkit.fluxcd.io_helmreleases.yaml': 'crds/flux/helm.toolkit.fluxcd.io_helmreleases.yaml',
  'https://raw.githubusercontent.com/fluxcd/source-controller/v1.6.2/config/crd/bases/source.toolkit.fluxcd.io_helmrepositories.yaml': 'crds/flux/source.toolkit.fluxcd.io_helmrepositories.yaml',
  'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/crd/bases/metallb.io_ipaddresspools.yaml': 'crds/metallb/metallb.io_ipaddresspools.yaml',
  'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/config/crd/bases/metallb.io_l2advertisements.yaml': 'crds/metallb/metallb.io_l2advertisements.yaml',
  'https://raw.githubusercontent.com/linkerd/linkerd2/version-2.18/multicluster/charts/linkerd-multicluster/templates/link-crd.yaml': 'crds/linkerd/link-crd.yaml',
  'https://raw.githubusercontent.com/linkerd/linkerd2/version-2.18/charts/linkerd-crds/templates/policy/httproute.yaml': 'crds/linkerd/policy/httproute.yaml',
  'https://raw.githubusercontent.com/linkerd/linkerd-smi/v0.2.7/charts/linkerd-smi/templates/trafficsplit-crd.yaml': 'crds/linkerd/smi/trafficsplit-crd.yaml',
  'https://raw.githubusercontent.com/argoproj/argo-cd/v3.0.23/manifests/crds/application-crd.yaml': 'crds/argocd/application-crd.yaml',
  'https://raw.githubusercontent.com/istio/istio/1.26.8/manifests/charts/gateway/values.schema.json': 'charts/istio/gateway/values.schema.json',
  'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/charts/metallb/values.schema.json': 'charts/metallb/values.schema.json',
  'https://raw.githubusercontent.com/cilium/cilium/v1.16.5/install/kubernetes/cilium/values.schema.json': 'charts/cilium/values.schema.json',
  'https://raw.githubusercontent.com/istio/istio/1.26.8/manifests/charts/gateway/values.yaml': 'charts/istio/gateway/values.yaml',
  'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/charts/metallb/values.yaml': 'charts/metallb/values.yaml',
  'https://raw.githubusercontent.com/cilium/cilium/v1.16.5/install/kubernetes/cilium/values.yaml': 'charts/cilium/values.yaml',
};

/**
 * Helm charts whose values we validate, by the name the validator looks them up with: the chart's
 * values.schema.json and its default values.yaml (Helm validates defaults merged with user values).
 */
const CHART_VALUES: Record<string, { schema: string; defaults: string }> = {
  'istio/gateway': {
    schema: 'https://raw.githubusercontent.com/istio/istio/1.26.8/manifests/charts/gateway/values.schema.json',
    defaults: 'https://raw.githubusercontent.com/istio/istio/1.26.8/manifests/charts/gateway/values.yaml',
  },
  'metallb/metallb': {
    schema: 'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/charts/metallb/values.schema.json',
    defaults: 'https://raw.githubusercontent.com/metallb/metallb/v0.14.9/charts/metallb/values.yaml',
  },
  'cilium/cilium': {
    schema: 'https://raw.githubusercontent.com/cilium/cilium/v1.16.5/install/kubernetes/cilium/values.schema.json',
    defaults: 'https://raw.githubusercontent.com/cilium/cilium/v1.16.5/install/kubernetes/cilium/values.yaml',
  },
};

/** Keys whose values are data, not schemas: copied as they are. */
const DATA_KEYS = new Set(['default', 'enum', 'example', 'const', 'x-kubernetes-validations', 'x-kubernetes-group-version-kind']);

const GENERATED = 'Generated by scripts/import.ts from the upstream sources listed in cdk8s.yaml. Do not edit.';

async function main(): Promise<void> {
  if (process.argv.includes('--validators-only')) {
    await writeValidators(join(root, 'imports', 'validators'));
    return;
  }
  const util = require(join(cli, 'lib', 'util.js')) as { download(url: string): Promise<string> };
  const download = util.download.bind(util);
  const fetchSource = async (url: string): Promise<string> => {
    const local = MIRROR[url] ? join(upstream, MIRROR[url]) : undefined;
    if (local && existsSync(local)) return untemplated(url, readFileSync(local, 'utf8'));
    console.error(`offline copy not found${local ? ` at ${local}` : ''}; downloading ${url}`);
    return untemplated(url, await download(url));
  };
  // cdk8s-cli downloads the k8s schema from a hard-coded URL; route it through the mirror too.
  util.download = fetchSource;

  const config = parse(readFileSync(join(root, 'cdk8s.yaml'), 'utf8')) as { imports: string[] };
  const outdir = join(root, 'imports');
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(join(outdir, 'schemas', 'values'), { recursive: true });

  await generateClasses(config.imports, outdir);

  const crds: JsonObject = {};
  for (const spec of config.imports) {
    if (spec.startsWith('k8s@')) continue;
    const url = spec.slice(spec.indexOf(':=') + 2);
    Object.assign(crds, crdSchemas(await fetchSource(url)));
  }
  writeJson(join(outdir, 'schemas', 'crds.json'), { $comment: GENERATED, kinds: sortKeys(crds) });
  writeJson(join(outdir, 'schemas', 'k8s.json'), k8sSchemas(await fetchSource(K8S_SCHEMA_URL)));
  for (const [chart, urls] of Object.entries(CHART_VALUES)) {
    const schema = JSON.parse(await fetchSource(urls.schema)) as JsonObject;
    const defaults = parse(await fetchSource(urls.defaults)) as Json;
    writeJson(join(outdir, 'schemas', 'values', `${chart.replace('/', '-')}.json`), { $comment: GENERATED, sources: urls, schema, defaults });
  }
  await writeValidators(join(outdir, 'validators'));
  writeChartKeys();
  console.error(`imports/ regenerated from ${existsSync(upstream) ? upstream : 'the upstream URLs'}`);
}

/**
 * The precompiled validators (scripts/validators.ts), from the schemas just written and the
 * fleet.yaml schemas lib/ composes; imported only now, since lib/ loads the classes in imports/.
 */
async function writeValidators(dir: string): Promise<void> {
  const { fleetSchemas, generateValidators } = await import('./validators');
  const files = await generateValidators(await fleetSchemas());
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of files) writeFileSync(join(dir, file), text);
  console.error(`imports/validators/: ${files.size} files`);
}

/**
 * A CRD that a chart ships as a template (Linkerd's link-crd.yaml and policy CRDs under a chart's templates folder) has Helm
 * expressions in its metadata labels and annotations only; the schema is plain YAML. Those
 * metadata lines are dropped so the file parses; nothing of the schema is touched. Any `{{` left
 * elsewhere is an error rather than a silently wrong schema.
 */
export function untemplated(url: string, text: string): string {
  if (!url.includes('/templates/') || !text.includes('{{')) return text;
  const lines = text.split('\n').filter((line) => !/^\s*(\{\{.*\}\}\s*|[\w./-]+:\s*.*\{\{.*\}\}.*)$/.test(line));
  const left = lines.findIndex((l) => l.includes('{{'));
  if (left >= 0) throw new Error(`${url}: a Helm expression outside metadata labels/annotations (line ${left + 1}): ${lines[left]}`);
  return lines.join('\n');
}

/** Runs cdk8s-cli's own importer for every entry, so the classes are exactly `cdk8s import` output. */
async function generateClasses(imports: string[], outdir: string): Promise<void> {
  const { importDispatch } = require(join(cli, 'lib', 'import', 'dispatch.js')) as {
    importDispatch(specs: unknown[], argv: unknown, options: unknown): Promise<void>;
  };
  const { parseImports } = require(join(cli, 'lib', 'util.js')) as { parseImports(spec: string): unknown };
  await importDispatch(imports.map(parseImports), {}, { outdir, targetLanguage: 'typescript', save: false });
}

/** Every served version of every CRD in a (multi-document) YAML file, keyed "group/version/Kind". */
function crdSchemas(text: string): JsonObject {
  const out: JsonObject = {};
  for (const doc of parseAllDocuments(text)) {
    const crd = doc.toJS() as { kind?: string; spec?: { group: string; names: { kind: string }; versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Json } }[] } };
    if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec) continue;
    for (const version of crd.spec.versions) {
      if (!version.served || !version.schema) continue;
      out[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = strict(version.schema.openAPIV3Schema);
    }
  }
  return out;
}

/** The Kubernetes definitions, made strict, plus an index from "apiVersion/Kind" to definition. */
function k8sSchemas(text: string): JsonObject {
  const { definitions } = JSON.parse(text) as { definitions: Record<string, JsonObject> };
  const kinds: Record<string, string> = {};
  const defs: JsonObject = {};
  for (const [name, def] of Object.entries(definitions)) {
    defs[name] = strict(def);
    const gvks = def['x-kubernetes-group-version-kind'] as { group: string; version: string; kind: string }[] | undefined;
    if (gvks && (def.properties as JsonObject | undefined)?.metadata) {
      for (const { group, version, kind } of gvks) kinds[`${group ? `${group}/` : ''}${version}/${kind}`] = name;
    }
  }
  return { $comment: GENERATED, source: K8S_SCHEMA_URL, kinds: sortKeys(kinds), definitions: sortKeys(defs) };
}

/**
 * Drops descriptions and closes every object schema that lists its properties, so a misspelt
 * field fails validation instead of being pruned silently by the API server.
 */
function strict(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(strict);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description') continue;
    if (DATA_KEYS.has(key)) out[key] = value;
    else if ((key === 'properties' || key === 'definitions' || key === 'patternProperties') && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, strict(v)]));
    } else out[key] = strict(value);
  }
  if (out.properties && out.additionalProperties === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

function sortKeys<T extends Json>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value)}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
