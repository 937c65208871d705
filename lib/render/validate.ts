/**
 * Validates every emitted object against the upstream schema of its kind: Kubernetes 1.32 and the
 * CRDs listed in cdk8s.yaml (imports/schemas/, made strict by scripts/import.ts so a misspelt
 * field fails), and HelmRelease values against the chart's own values.schema.json where upstream
 * ships one. Loading is lazy: a kind's schema is compiled the first time it is needed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SCHEMAS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'imports', 'schemas');
const OBJECT_META = 'k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Chart values schemas by "<HelmRepository name>/<chart>". */
const VALUES_SCHEMAS: Record<string, string> = {
  'istio/gateway': 'istio-gateway.json',
  'metallb/metallb': 'metallb-metallb.json',
  'cilium/cilium': 'cilium-cilium.json',
};

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string };
  [key: string]: unknown;
}

export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly k8sKinds: Record<string, string>;
  private readonly crds: Record<string, object>;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor() {
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    addFormats(this.ajv);
    const k8s = readJson<{ kinds: Record<string, string>; definitions: object }>('k8s.json');
    this.ajv.addSchema({ $id: 'k8s', definitions: k8s.definitions });
    this.k8sKinds = k8s.kinds;
    this.crds = readJson<{ kinds: Record<string, object> }>('crds.json').kinds;
  }

  /** Problems with one object, as "<json path>: <message>" lines; empty when it is valid. */
  validate(obj: KubeObject): string[] {
    const validate = this.validatorFor(obj.apiVersion, obj.kind);
    if (!validate) return [`no schema for ${obj.apiVersion} ${obj.kind}: add its CRD to cdk8s.yaml and run \`npm run import\``];
    const problems = validate(obj) ? [] : formatErrors(validate.errors ?? []);
    if (obj.apiVersion.startsWith('helm.toolkit.fluxcd.io/') && obj.kind === 'HelmRelease') problems.push(...this.validateValues(obj));
    return problems;
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion}/${kind}`;
    let fn = this.cache.get(key);
    if (fn) return fn;
    const k8sDef = this.k8sKinds[key];
    const crd = this.crds[key] as { properties?: Record<string, unknown> } | undefined;
    if (k8sDef) fn = this.ajv.compile({ $ref: `k8s#/definitions/${k8sDef}` });
    
    // Some CRDs (Istio's) leave the envelope out of their schema; every object has it.
    else if (crd) {
      fn = this.ajv.compile({
        ...crd,
        required: ['apiVersion', 'kind', 'metadata'],
        properties: { ...crd.properties, apiVersion: { const: apiVersion }, kind: { const: kind }, metadata: { $ref: OBJECT_META } },
      });
    }
    else return undefined;
    this.cache.set(key, fn);
    return fn;
  }

  private validateValues(release: KubeObject): string[] {
    const spec = release.spec as { chart?: { spec?: { chart: string; sourceRef: { name: string } } }; values?: unknown } | undefined;
    const chart = spec?.chart?.spec;
    const file = chart && VALUES_SCHEMAS[`${chart.sourceRef.name}/${chart.chart}`];
    if (!file) return [];
    const key = `values:${file}`;
    let fn = this.cache.get(key);
    if (!fn) {
      const { schema } = readJson<{ schema: Record<string, unknown> }>(join('values', file));
      const { $schema: _ignored, ...rest } = schema;
      fn = this.ajv.compile(rest);
      this.cache.set(key, fn);
    }
    return fn(spec?.values ?? {}) ? [] : formatErrors(fn.errors ?? []).map((e) => `spec.values (chart ${chart!.chart}) ${e}`);
  }
}

function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : '';
    return `${e.instancePath || '/'}: ${e.message ?? e.keyword}${extra}`;
  });
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as T;
}
