/** spec.mesh.linkerd and the fields Linkerd's samples add to spec.samples. Linkerd has no per-cluster fields of its own. */
import { DNS_LABEL, validityDays, type JsonSchema } from '../../fleet/schema';
import { SUPPORTED_LINKERD_VERSIONS } from './defaults';

export const linkerdSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: {
      type: 'string',
      enum: SUPPORTED_LINKERD_VERSIONS,
      description: `use a Linkerd version meshfleet supports, as a quoted string: ${SUPPORTED_LINKERD_VERSIONS.map((v) => `"${v}"`).join(', ')}`,
    },
    chartRepository: {
      type: 'string',
      pattern: '^(https|http|oci)://[^\\s]+$',
      description: 'use the URL of a Helm repository that serves Linkerd\'s edge charts (linkerd-crds, linkerd-control-plane, linkerd-multicluster), e.g. a mirror of https://helm.linkerd.io/edge',
    },
    ca: {
      type: 'object',
      additionalProperties: false,
      properties: {
        anchorValidityDays: validityDays('3650'),
        issuerValidityDays: validityDays('365', ", no longer than the trust anchor's"),
      },
    },
  },
};

const clusterName = (role: string): JsonSchema => ({
  type: 'string',
  pattern: DNS_LABEL,
  description: `use the name of the cluster in spec.clusters that ${role}`,
});

/** Fields of spec.samples (seed 004 §4: helloworld v1 exported from one cluster, v2 + client + split on another). */
export const linkerdSamplesSchema: Readonly<Record<string, JsonSchema>> = {
  split: {
    type: 'string',
    enum: ['httproute', 'smi'],
    description: 'use httproute (a policy.linkerd.io HTTPRoute, Linkerd\'s current way) or smi (the seed\'s TrafficSplit, through the deprecated linkerd-smi extension)',
  },
  exporter: clusterName('runs helloworld v1 and exports it to the other clusters'),
  client: clusterName('runs helloworld v2, the curl client and the 50/50 split'),
};
