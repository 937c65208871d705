/**
 * The JSON Schema of fleet.yaml (the public API). Every `description` is written as the fix a
 * user reads when the field is wrong, because the loader prints it under "fix:".
 * Defaults are not declared here: lib/fleet/defaults.ts resolves them, in one place.
 */

const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const LABEL_VALUE = '^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
export const AGE_RECIPIENT = '^age1[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{58}$';
const SEMVER = '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$';
const DURATION = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';

const ageRecipient = {
  type: 'string',
  pattern: AGE_RECIPIENT,
  description: 'use the public key printed by `age-keygen` (age1 followed by 58 lower-case bech32 characters)',
};

const cluster = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'apiServer', 'ageRecipient'],
  properties: {
    name: {
      type: 'string',
      pattern: DNS_LABEL,
      description: 'use a DNS-1123 label: lower-case letters, digits and "-", at most 63 characters, e.g. "kt-k2p"',
    },
    context: {
      type: 'string',
      minLength: 1,
      description: 'use the kubeconfig context name of this cluster (`kubectl config get-contexts`)',
    },
    network: {
      type: 'string',
      pattern: LABEL_VALUE,
      description: 'use a label value: letters, digits, "-", "_" and ".", at most 63 characters, e.g. "network1"',
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
    gateway: {
      type: 'object',
      additionalProperties: false,
      properties: {
        address: {
          type: 'string',
          description: 'use the IP address or DNS name the other clusters reach this east-west gateway at, or leave it out',
        },
      },
    },
    samples: {
      type: 'object',
      additionalProperties: false,
      properties: {
        reviews: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', enum: ['v1', 'v2', 'v3'], description: 'list reviews versions from v1, v2 and v3' },
          description: 'list the reviews versions to run here, e.g. [v1], or [] for none',
        },
        sleep: { type: 'boolean', description: 'use true or false' },
      },
    },
    metallb: {
      type: 'object',
      additionalProperties: false,
      required: ['addresses'],
      properties: {
        install: { type: 'boolean', description: 'use true to install MetalLB, false when the cluster runs it already' },
        version: { type: 'string', pattern: SEMVER, description: 'use a MetalLB release as a quoted string, e.g. "0.14.9"' },
        addresses: {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: { type: 'string', description: 'use a CIDR ("203.0.113.10/32") or a range ("203.0.113.10-203.0.113.20")' },
          description: 'list the addresses of the pool, e.g. [203.0.113.10/32]',
        },
        autoAssign: { type: 'boolean', description: 'use true or false' },
        avoidBuggyIPs: { type: 'boolean', description: 'use true or false' },
        announce: { type: 'string', enum: ['none', 'l2'], description: 'use none (a NAT or load balancer in front forwards to the nodes) or l2 (MetalLB answers ARP/NDP for the addresses)' },
      },
    },
    metricsServer: {
      type: 'object',
      additionalProperties: false,
      properties: {
        install: { type: 'boolean', description: 'use true or false' },
        version: { type: 'string', pattern: SEMVER, description: 'use a metrics-server Helm chart version as a quoted string, e.g. "3.12.2"' },
        kubeletInsecureTLS: { type: 'boolean', description: 'use true or false' },
        args: {
          type: 'array',
          uniqueItems: true,
          items: { type: 'string', pattern: '^--[a-z0-9-]+(=.*)?$', description: 'use a flag such as --metric-resolution=30s' },
          description: 'list extra metrics-server flags',
        },
      },
    },
    cilium: {
      type: 'object',
      additionalProperties: false,
      properties: {
        managed: { type: 'boolean', description: 'use true when the provider runs Cilium (e.g. Ncloud NKS), false when you install it with Helm' },
        disableL7Proxy: { type: 'boolean', description: 'use true or false' },
      },
    },
  },
} as const;

export const fleetSchema = {
  $id: 'https://meshfleet.io/schemas/fleet-v1alpha1.json',
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
            engine: { const: 'flux', description: 'use engine: flux (the only engine meshfleet renders for today)' },
            repoURL: {
              type: 'string',
              pattern: '^(https|http|ssh)://[^\\s]+$',
              description: 'use the https:// or ssh:// URL of the git repository Flux pulls, e.g. "ssh://git@git.example.com/platform/fleet.git"',
            },
            branch: {
              type: 'string',
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
            type: {
              const: 'istio',
              description: 'use type: istio (linkerd and cilium meshes are not rendered yet)',
            },
            istio: {
              type: 'object',
              additionalProperties: false,
              properties: {
                version: {
                  type: 'string',
                  pattern: SEMVER,
                  description: 'use a full Istio release as a quoted string, e.g. "1.26.8"',
                },
                meshID: { type: 'string', pattern: LABEL_VALUE, description: 'use a label value, e.g. "mesh1"' },
                chartRepository: {
                  type: 'string',
                  pattern: '^(https|http|oci)://[^\\s]+$',
                  description: 'use the URL of a Helm repository that serves Istio\'s base, istiod and gateway charts',
                },
                ca: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {
                    keyType: { type: 'string', enum: ['rsa-4096', 'ecdsa-p256'], description: 'use rsa-4096 (Istio\'s tools/certs default) or ecdsa-p256' },
                    rootValidityDays: { type: 'integer', minimum: 30, maximum: 36500, description: 'use a number of days from 30 to 36500, e.g. 3650' },
                    intermediateValidityDays: { type: 'integer', minimum: 30, maximum: 36500, description: 'use a number of days from 30 to 36500, no longer than the root\'s' },
                  },
                },
              },
            },
          },
        },
        clusters: {
          type: 'array',
          minItems: 1,
          items: cluster,
          description: 'list at least one cluster',
        },
        samples: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: { type: 'boolean', description: 'use true or false' },
          },
        },
      },
    },
  },
} as const;
