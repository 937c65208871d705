/** spec.clusters[].metallb */
import { BOOLEAN, SEMVER, type JsonSchema } from '../../fleet/schema';

export const metallbSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['addresses'],
  properties: {
    install: { type: 'boolean', description: 'use true to install MetalLB, false when the cluster runs it already' },
    version: { type: 'string', pattern: SEMVER, description: 'use a MetalLB release as a quoted string, e.g. "0.16.1"' },
    addresses: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', description: 'use a CIDR ("203.0.113.10/32") or a range ("203.0.113.10-203.0.113.20")' },
      description: 'list the addresses of the pool, e.g. [203.0.113.10/32]',
    },
    existingPool: {
      type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$',
      description: 'use the name of an IPAddressPool the cluster\'s MetalLB has already (kubectl get ipaddresspools -n metallb-system) that holds the gateway\'s address, or leave it out',
    },
    autoAssign: BOOLEAN,
    avoidBuggyIPs: BOOLEAN,
    announce: { type: 'string', enum: ['none', 'l2'], description: 'use none (a NAT or load balancer in front forwards to the nodes) or l2 (MetalLB answers ARP/NDP for the addresses)' },
  },
};
