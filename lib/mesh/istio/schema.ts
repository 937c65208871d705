/** spec.mesh.istio and Istio's fields of spec.clusters[]. */
import { DNS_LABEL, LABEL_VALUE, SEMVER, validityDays, type JsonSchema } from '../../fleet/schema';
import { helloworldVersionsSchema } from '../../samples/helloworld';
import { bookinfoPlacementSchema } from '../../samples/placement';

/** Revision tags: tag name (a DNS label) → the Istio release of spec.mesh.istio.revisions it points at. */
const TAGS: JsonSchema = {
  type: 'object',
  propertyNames: { pattern: DNS_LABEL },
  additionalProperties: { type: 'string', pattern: SEMVER, description: 'use a release of spec.mesh.istio.revisions as a quoted string, e.g. "1.30.3"' },
  description: 'map each revision tag (stable, canary …) to the release of spec.mesh.istio.revisions it points at, e.g. {stable: "1.29.6", canary: "1.30.3"}',
};

export const istioSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: {
      type: 'string',
      pattern: SEMVER,
      description: 'use a full Istio release as a quoted string, e.g. "1.30.3"',
    },
    revisions: {
      type: 'array', minItems: 1, uniqueItems: true,
      items: { type: 'string', pattern: SEMVER, description: 'use a full Istio release as a quoted string, e.g. "1.30.3"' },
      description: 'list the Istio releases to run side by side (a canary upgrade), e.g. ["1.29.6", "1.30.3"]; instead of version',
    },
    tags: TAGS,
    unrevisioned: {
      type: 'string', pattern: SEMVER,
      description: 'use the release of revisions that was installed in place (spec.mesh.istio.version) before the canary began, e.g. "1.28.10": it keeps the release istiod its proxies are connected to',
    },
    meshID: { type: 'string', pattern: LABEL_VALUE, description: 'use a label value, e.g. "mesh1"' },
    chartRepository: {
      type: 'string',
      pattern: '^(https|http|oci)://[^\\s]+$',
      description: 'use the URL of a Helm repository that serves Istio\'s base, istiod and gateway charts',
    },
    model: {
      type: 'string',
      enum: ['multi-primary', 'primary-remote'],
      description: 'use multi-primary (every cluster runs istiod) or primary-remote (remote clusters use a primary\'s istiod)',
    },
    ca: {
      type: 'object',
      additionalProperties: false,
      properties: {
        keyType: { type: 'string', enum: ['rsa-4096', 'ecdsa-p256'], description: 'use rsa-4096 (Istio\'s tools/certs default) or ecdsa-p256' },
        rootValidityDays: validityDays('3650'),
        intermediateValidityDays: validityDays('3650', ", no longer than the root's"),
      },
    },
  },
};

export const istioClusterSchema: Readonly<Record<string, JsonSchema>> = {
  istio: {
    type: 'object',
    additionalProperties: false,
    properties: { tags: { ...TAGS, description: 'map the tags this cluster has moved to their release, e.g. {stable: "1.30.3"}' } },
  },
  eastWestNodePort: {
    type: 'integer',
    minimum: 30000,
    maximum: 32767,
    description: 'use a NodePort from 30000 to 32767 that the NAT or load balancer in front forwards 15443/TCP to, best from 30000-30085 (the band Kubernetes keeps for fixed NodePorts), e.g. 30043',
  },
  eastWestStatusNodePort: {
    type: 'integer',
    minimum: 30000,
    maximum: 32767,
    description: 'use a NodePort from 30000 to 32767 that the load balancer in front health-checks (the gateway\'s status port 15021), best from 30000-30085, e.g. 30021',
  },
  network: {
    type: 'string',
    pattern: LABEL_VALUE,
    description: 'use a label value: letters, digits, "-", "_" and ".", at most 63 characters, e.g. "network1"',
  },
  role: {
    type: 'string',
    enum: ['primary', 'remote'],
    description: 'use primary (runs istiod) or remote (uses the istiod of the cluster named in `primary`); only with spec.mesh.istio.model: primary-remote',
  },
  primary: {
    type: 'string',
    pattern: DNS_LABEL,
    description: 'use the name of the primary cluster whose istiod this remote cluster uses, e.g. "cluster1"',
  },
  // bookinfo (multi-primary) and helloworld (primary-remote) placement share the block.
  samples: {
    ...bookinfoPlacementSchema,
    properties: { ...(bookinfoPlacementSchema.properties as Record<string, JsonSchema>), helloworld: helloworldVersionsSchema },
  },
};
