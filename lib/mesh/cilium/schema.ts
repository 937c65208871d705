/** spec.mesh.cilium, Cilium's fields of spec.clusters[] and its field of spec.samples. */
import { BOOLEAN, SEMVER, validityDays, type JsonSchema } from '../../fleet/schema';

export const ciliumSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: { type: 'string', pattern: SEMVER, description: 'use a full Cilium release as a quoted string, e.g. "1.19.6"' },
    chartRepository: {
      type: 'string',
      pattern: '^(https|http|oci)://[^\\s]+$',
      description: 'use the URL of a Helm repository that serves the cilium chart, e.g. "https://helm.cilium.io/"',
    },
    policyDefaultLocalCluster: {
      type: 'boolean',
      description: 'use true (Cilium 1.19\'s default: a policy selects endpoints of its own cluster unless it names a cluster) or false (every cluster, as before 1.19; Cilium deprecates it); Cilium 1.18 or later',
    },
    authMode: {
      type: 'string',
      enum: ['legacy', 'migration', 'cluster'],
      description: 'use legacy, migration (Cilium 1.19\'s default) or cluster (per-cluster clustermesh-apiserver users; needs the shared CA meshfleet keeps, and every cluster through migration first); Cilium 1.19 or later',
    },
    maxConnectedClusters: {
      type: 'integer',
      enum: [255, 511],
      description: 'use 255 (the default) or 511; it can only be set when Cilium is first installed and must be equal on every cluster',
    },
    ca: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keyType: { type: 'string', enum: ['ecdsa-p256', 'rsa-4096'], description: 'use ecdsa-p256 or rsa-4096' },
        validityDays: validityDays('3650'),
      },
    },
  },
};

const cidr = (what: string, example: string): JsonSchema => ({
  type: 'string',
  description: `use the IPv4 CIDR of this cluster's ${what}, unique in the fleet, e.g. "${example}"`,
});

export const ciliumClusterSchema: Readonly<Record<string, JsonSchema>> = {
  podCIDR: cidr('pods (Cilium\'s cluster-pool, K3s --cluster-cidr)', '10.1.0.0/16'),
  serviceCIDR: cidr('Services (K3s --service-cidr)', '10.101.0.0/16'),
  cilium: {
    type: 'object',
    additionalProperties: false,
    properties: {
      clusterId: {
        type: 'integer',
        minimum: 1,
        maximum: 511,
        description: 'use a number from 1 to 255 (up to 511 with spec.mesh.cilium.maxConnectedClusters: 511), unique in the fleet',
      },
      managed: { type: 'boolean', description: 'use false: meshfleet installs Cilium itself under mesh type cilium (true = the provider runs it, which cannot join)' },
      disableL7Proxy: BOOLEAN,
      apiserverService: {
        type: 'string',
        enum: ['LoadBalancer', 'NodePort'],
        description: 'use LoadBalancer (peers reach gateway.address:2379) or NodePort (peers reach nodeAddresses:nodePort)',
      },
      nodeAddresses: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', description: 'use a node IP address the other clusters reach, e.g. "172.30.1.89"' },
        description: 'list the node IP addresses the other clusters reach this cluster\'s NodePort at, e.g. ["172.30.1.89"]',
      },
      nodePort: { type: 'integer', description: 'use a NodePort from 30000 to 32767, distinct per cluster, e.g. 32379' },
    },
  },
  samples: {
    type: 'object',
    additionalProperties: false,
    properties: {
      userlist: { type: 'boolean', description: 'use true to run the userlist Deployment here, false for the global Service only' },
      curl: { type: 'boolean', description: 'use true to run the curltest client here' },
    },
  },
};

export const ciliumSamplesSchema: Readonly<Record<string, JsonSchema>> = {
  affinity: {
    type: 'string',
    enum: ['local', 'remote', 'none'],
    description: 'use local, remote or none: the service.cilium.io/affinity of the sample\'s global Service',
  },
};
