/**
 * The JSON Schema of fleet.yaml (the public API), composed from the core below and the fragments
 * each module owns: the mesh module's `spec.mesh.<type>` block and per-cluster fields, and each
 * add-on's per-cluster block. Every `description` is written as the fix a user reads when the
 * field is wrong, because the loader prints it under "fix:". Defaults are not declared here:
 * each module's defaults.ts resolves its own.
 *
 * fleetValidator() is how the pipeline checks fleet.yaml against the schema of its mesh type.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Options, ValidateFunction } from 'ajv';
import { loadValidator, validatorIndex } from '../schema/precompiled';

/** A JSON Schema object (the subset ajv compiles in strict mode). */
export type JsonSchema = Readonly<Record<string, unknown>>;

export const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
export const LABEL_VALUE = '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
export const AGE_RECIPIENT = '^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$';
export const SEMVER = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$';
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

/**
 * The shortest certificate lifetime fleet.yaml accepts: twice `check`'s 30-day expiry warning
 * (EXPIRY_WARNING_DAYS in lib/pki/status.ts), so a new certificate passes `check` and leaves a month
 * to rotate in before it fails. test/fleet/invalid.test.ts keeps the two in step.
 */
export const MIN_VALIDITY_DAYS = 60;

/** A certificate lifetime in days. */
export const validityDays = (example: string, more = ''): JsonSchema => ({
  type: 'integer', minimum: MIN_VALIDITY_DAYS, maximum: 36500,
  description: `use a number of days from ${MIN_VALIDITY_DAYS} (twice check's 30-day expiry warning) to 36500${more}, e.g. ${example}`,
});

export const BOOLEAN: JsonSchema = { type: 'boolean', description: 'use true or false' };

const ageRecipient = {
  type: 'string',
  pattern: AGE_RECIPIENT,
  description: 'use the public key printed by `age-keygen` (age1 followed by 58 lower-case bech32 characters)',
};

/** Helm values per release name, merged into what meshfleet generates (lib/format/values.ts). */
export /**
 * spec.registries (and per cluster, spec.clusters[].registries, which wins): where air-gapped and
 * private-registry clusters pull from. `images` is a registry prefix every image of every chart and
 * sample is pulled through (`quay.io/cilium/cilium` → `<prefix>/cilium/cilium`, `docker.io/istio/pilot`
 * → `<prefix>/istio/pilot`: the upstream path kept, as a pull-through cache or `crane copy` lays it
 * out); `charts` a Helm repository or OCI registry that serves every chart meshfleet installs.
 */
const REGISTRIES: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    images: {
      type: 'string',
      pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$',
      description: 'use a registry host with an optional path, without a scheme or a trailing slash, e.g. "harbor.example.com/mirror"',
    },
    charts: {
      type: 'string',
      pattern: '^(https://|oci://)[^\\s]+[^/\\s]$',
      description: 'use the https:// URL of a Helm repository or the oci:// URL of a registry that serves every chart, e.g. "oci://harbor.example.com/charts"',
    },
  },
};

const OVERRIDES: JsonSchema = {
  type: 'object',
  propertyNames: { pattern: DNS_LABEL },
  additionalProperties: { type: 'object', description: 'give the Helm values for this release as a map, e.g. {resources: {requests: {cpu: 200m}}}' },
  description: 'map release names (e.g. istiod, istio-eastwestgateway, metallb) to Helm values',
};

/** The fields of spec.clusters[] that every mesh shares. */
const coreClusterProperties: Record<string, JsonSchema> = {
  name: {
    type: 'string',
    pattern: DNS_LABEL,
    description: 'use a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters, e.g. "kt-k2p"',
  },
  context: {
    type: 'string',
    minLength: 1,
    maxLength: 253,
    // What kubeconfig context names use in practice (EKS ARNs, GKE names, user@cluster), and
    // nothing a shell would read as syntax: the name is written into dist/README.md's commands.
    pattern: '^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$',
    description: 'use the kubeconfig context name of this cluster (`kubectl config get-contexts`): letters, digits and . _ : @ / + = -',
  },
  apiServer: {
    type: 'string',
    description: 'use the https:// URL of the API server as the other clusters reach it, e.g. "https://203.0.113.1:6443"',
  },
  ageRecipient: {
    ...ageRecipient,
    description: 'use the public key of this cluster\'s Flux decryption identity (`age-keygen` prints it as "Public key: age1...")',
  },
  cni: {
    type: 'string',
    enum: ['calico', 'cilium', 'other'],
    description: 'use one of calico, cilium or other',
  },
  overrides: OVERRIDES,
  registries: REGISTRIES,
  kubernetesVersion: {
    type: 'string',
    pattern: '^1\\.[0-9]+(\\.[0-9]+)?$',
    description: 'use the cluster\'s Kubernetes version as a quoted string, e.g. "1.32" (`kubectl version` prints it as the Server Version)',
  },
  gateway: {
    type: 'object',
    additionalProperties: false,
    properties: {
      address: {
        type: 'string',
        description: 'use the IP address or DNS name the other clusters reach this cluster\'s mesh gateway at, or leave it out',
      },
      serviceAddress: {
        type: 'string',
        description: 'use the IP address the gateway\'s LoadBalancer Service asks MetalLB for, inside metallb.addresses, where it differs from gateway.address (a floating IP or NAT in front forwards gateway.address to it), or leave it out',
      },
      serviceType: {
        type: 'string',
        enum: ['LoadBalancer', 'NodePort'],
        description: 'use LoadBalancer (a cloud provider or MetalLB assigns the gateway Service an address) or NodePort (nothing does: a NAT or load balancer in front forwards gateway.address to the nodes)',
      },
    },
  },
};

export interface SchemaParts {
  /** Every registered mesh type, for the `spec.mesh.type` enum. */
  readonly meshTypes: readonly string[];
  /** Every registered GitOps engine, for the `spec.gitops.engine` enum. */
  readonly engines: readonly string[];
  /** The active mesh type; undefined when spec.mesh.type is not a known one. */
  readonly meshType?: string;
  /** The schema of spec.mesh.<meshType>, if the mesh has settings. */
  readonly meshSchema?: JsonSchema;
  /** Per-cluster fields of the active mesh and of every add-on. */
  readonly clusterProperties: Readonly<Record<string, JsonSchema>>;
  /** Fields the active mesh adds to spec.samples. */
  readonly samplesProperties?: Readonly<Record<string, JsonSchema>>;
  /**
   * Fields other mesh types own (per cluster, and their spec.mesh.<type> blocks): accepted without
   * checks so that switching spec.mesh.type needs no other edit; the loader warns about them.
   */
  readonly foreignClusterFields: readonly string[];
  readonly foreignMeshBlocks: readonly string[];
  /** Fields of spec.samples only other mesh types own: accepted without checks, with a warning. */
  readonly foreignSamplesFields?: readonly string[];
}

export function composeFleetSchema(parts: SchemaParts): JsonSchema {
  const anything = {};
  const meshTypes = parts.meshTypes.join(', ');
  return {
    $id: `https://meshfleet.io/schemas/fleet-v1alpha1-${parts.meshType ?? 'unknown'}.json`,
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: 'meshfleet.io/v1alpha1', description: 'set apiVersion: meshfleet.io/v1alpha1' },
      kind: { const: 'Fleet', description: 'set kind: Fleet' },
      metadata: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', pattern: DNS_LABEL, description: 'use a DNS-1123 label, e.g. "kpaas-csp"' },
        },
      },
      spec: {
        type: 'object',
        additionalProperties: false,
        required: ['gitops', 'secrets', 'mesh', 'clusters'],
        properties: {
          gitops: {
            type: 'object',
            additionalProperties: false,
            required: ['repoURL'],
            properties: {
              engine: {
                type: 'string',
                enum: [...parts.engines],
                description: `use one of ${parts.engines.join(', ')}`,
              },
              repoURL: {
                type: 'string',
                pattern: '^(https|http|ssh)://[^\\s\'"`$;&|<>()\\\\]+$',
                description: 'use the https:// or ssh:// URL of the git repository the clusters pull, e.g. "ssh://git@git.example.com/platform/fleet.git"',
              },
              branch: {
                type: 'string',
                maxLength: 255,
                pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]*$',
                description: 'use a branch name, e.g. "main"',
              },
              interval: { type: 'string', pattern: DURATION, description: 'use a Go duration, e.g. "10m" or "1h"' },
            },
          },
          secrets: {
            type: 'object',
            additionalProperties: false,
            required: ['operators'],
            properties: {
              operators: {
                type: 'array',
                minItems: 1,
                uniqueItems: true,
                items: ageRecipient,
                description: 'list at least one age public key (age1...) of the people or CI that operate this fleet',
              },
            },
          },
          mesh: {
            type: 'object',
            additionalProperties: false,
            required: ['type'],
            properties: {
              type: { type: 'string', enum: [...parts.meshTypes], description: `use one of ${meshTypes}` },
              ...(parts.meshType && parts.meshSchema ? { [parts.meshType]: parts.meshSchema } : {}),
              ...Object.fromEntries(parts.foreignMeshBlocks.map((b) => [b, anything])),
            },
          },
          clusters: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name', 'apiServer', 'ageRecipient'],
              properties: {
                ...coreClusterProperties,
                ...Object.fromEntries(parts.foreignClusterFields.map((f) => [f, anything])),
                ...parts.clusterProperties,
              },
            },
            description: 'list at least one cluster',
          },
          samples: {
            type: 'object',
            additionalProperties: false,
            properties: {
              enabled: BOOLEAN,
              ...Object.fromEntries((parts.foreignSamplesFields ?? []).map((f) => [f, anything])),
              ...parts.samplesProperties,
            },
          },
          overrides: OVERRIDES,
          registries: REGISTRIES,
        },
      },
    },
  };
}

/** The ajv options fleet.yaml is checked with (verbose: the loader prints each field's description as the fix). */
export const FLEET_AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true };

/** sha256 of a composed schema: which precompiled validator, if any, was generated from exactly it. */
export function schemaHash(schema: JsonSchema): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

/**
 * The validator of a composed fleet.yaml schema: the precompiled one of imports/validators/ when it
 * was generated from this very schema (the hash in its index entry), else compiled here. A module
 * that changed its schema fragment without `npm run import` is slower to load, never wrong; the
 * validators test fails until the import is re-run.
 */
export function fleetValidator(meshType: string | undefined, schema: JsonSchema): ValidateFunction {
  const entry = validatorIndex()?.fleet[meshType ?? ''];
  if (entry && entry.schema === schemaHash(schema)) return loadValidator<ValidateFunction>(entry.file);
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv(FLEET_AJV_OPTIONS).compile(schema);
}
