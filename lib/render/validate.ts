/**
 * Validates every emitted object against the upstream schema of its kind: Kubernetes 1.32 and the
 * CRDs listed in cdk8s.yaml (imports/schemas/, made strict by scripts/import.ts so a misspelt
 * field fails), and HelmRelease values against the chart's own values.schema.json where upstream
 * ships one (for the objects a GitOps engine installs charts with). Loading is lazy: a kind's schema is compiled the first time it is needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';
import { ENGINES } from '../gitops/registry';
import { mergeValues } from '../helm/overrides';
import type { KubeObject } from '../kube';
import { PROJECT_ROOT } from '../root';

export type { KubeObject };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const SCHEMAS = join(PROJECT_ROOT, 'imports', 'schemas');
const OBJECT_META = 'k8s#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** Chart values schemas by "<HelmRepository name>/<chart>". */
const VALUES_SCHEMAS: Record<string, string> = {
  'istio/gateway': 'istio-gateway.json',
  'metallb/metallb': 'metallb-metallb.json',
  'cilium/cilium': 'cilium-cilium.json',
};

export class SchemaValidator {
  private readonly ajv: Ajv;
  private readonly k8sKinds: Record<string, string>;
  private readonly crds: Record<string, object>;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly charts = new Map<string, { fn: ValidateFunction; defaults: unknown }>();

  constructor() {
    this.ajv = new Ajv({ strict: false, allErrors: true, logger: false, inlineRefs: false, code: { optimize: false } });
    addFormats(this.ajv);
    // Kubernetes validates `format: duration` as a Go duration ("3s", "1h30m"; kube-openapi /
    // go-openapi strfmt), not as ajv-formats' ISO 8601 ("PT3S"): CRDs such as Linkerd's Link use it.
    this.ajv.addFormat('duration', /^-?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/);
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
    // Objects that install a Helm chart (Flux HelmRelease …): their values against the chart's schema.
    for (const engine of Object.values(ENGINES)) {
      const chart = engine.chartValues(obj);
      if (chart) problems.push(...this.validateValues(chart.chart, chart.values, 'spec.values'));
    }
    // Values meant for a Helm release elsewhere (valuesFrom) carry the chart they are for.
    const valuesFor = (obj.metadata as { annotations?: Record<string, string> } | undefined)?.annotations?.['meshfleet.io/chart-values'];
    if (obj.kind === 'ConfigMap' && valuesFor) {
      problems.push(...this.validateValues(valuesFor, parse(String((obj.data as Record<string, string> | undefined)?.['values.yaml'] ?? '{}')), 'data["values.yaml"]'));
    }
    return problems;
  }

  private validatorFor(apiVersion: string, kind: string): ValidateFunction | undefined {
    const key = `${apiVersion}/${kind}`;
    let fn = this.cache.get(key);
    if (fn) return fn;
    const k8sDef = this.k8sKinds[key];
    const crd = this.crds[key] as { properties?: Record<string, unknown> } | undefined;
    if (k8sDef) {
      fn = this.ajv.compile({ $ref: `k8s#/definitions/${k8sDef}` });
    } else if (crd) {
      // Some CRDs (Istio's) leave the envelope out of their schema; every object has it.
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

  /** Helm values against the chart's own values.schema.json, where upstream ships one. */
  validateValues(chart: string, values: unknown, where: string): string[] {
    const file = VALUES_SCHEMAS[chart];
    if (!file) return [];
    const key = `values:${file}`;
    let entry = this.charts.get(key);
    if (!entry) {
      const { schema, defaults } = readJson<{ schema: Record<string, unknown>; defaults: unknown }>(join('values', file));
      const { $schema: _ignored, ...rest } = schema;
      entry = { fn: this.ajv.compile(rest), defaults };
      this.charts.set(key, entry);
    }
    // Helm validates the chart's defaults merged with the release's values, so do we.
    const merged = mergeValues(entry.defaults, values);
    return entry.fn(merged) ? [] : formatErrors(entry.fn.errors ?? []).map((e) => `${where} (chart ${chart}) ${e}`);
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
