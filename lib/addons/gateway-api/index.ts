/**
 * The Gateway API CRDs (standard channel) in the infrastructure stage, before the mesh: Linkerd
 * 2.19+ needs them (its policy controller watches HTTPRoute and GRPCRoute) and its linkerd-crds no
 * longer installs them. Installed where the mesh needs them unless fleet.yaml says something else
 * owns them (`gatewayAPI: {install: false}`: a cloud's managed Gateway API, another controller's
 * chart), or anywhere fleet.yaml asks (`install: true`). The bundle includes upstream's
 * safe-upgrades ValidatingAdmissionPolicy, which refuses experimental-channel CRDs over these and
 * any bundle older than 1.5.
 */
import { ApiObject } from 'cdk8s';
import { BOOLEAN, type JsonSchema } from '../../fleet/schema';
import type { RawCluster } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import type { AddOn } from '../../contracts/addon';
import { GATEWAY_API_DEFAULT, gatewayApiBundle } from './bundle';

export interface GatewayApi {
  /** true: install; false: something else owns the CRDs; undefined: as the mesh needs. */
  readonly install?: boolean;
}

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    install: { ...BOOLEAN, description: 'use true to install the Gateway API CRDs (standard channel) here, false where something else owns them' },
  },
};

export function gatewayApiOf(cluster: { readonly addons: Readonly<Record<string, unknown>> }): GatewayApi | undefined {
  return cluster.addons.gatewayApi as GatewayApi | undefined;
}

/** The Gateway API release a cluster gets from meshfleet, or undefined. */
function installed(plan: ClusterPlan): string | undefined {
  const asked = gatewayApiOf(plan.cluster)?.install;
  if (asked === false) return undefined;
  return plan.meshNeeds.gatewayApi ?? (asked ? GATEWAY_API_DEFAULT : undefined);
}

export const gatewayApi: AddOn = {
  name: 'gatewayApi',
  clusterSchema: { gatewayAPI: schema },
  pins: { 'Gateway API CRDs (standard channel)': GATEWAY_API_DEFAULT },
  charts: [],
  resolveCluster(raw: RawCluster): GatewayApi | undefined {
    const g = raw.gatewayAPI as { install?: boolean } | undefined;
    return g ? { ...(g.install !== undefined ? { install: g.install } : {}) } : undefined;
  },
  rules() {},
  plan(plan: ClusterPlan): void {
    const version = installed(plan);
    if (!version) return;
    const stage = plan.stage('infrastructure');
    for (const obj of gatewayApiBundle(version)) {
      const { apiVersion, kind, metadata, ...rest } = obj;
      // Never pruned: removing the CRDs (gatewayAPI.install: false, another mesh) would delete every route of every owner.
      const kept = kind === 'CustomResourceDefinition' ? { ...metadata, annotations: { ...metadata.annotations, ...plan.engine.neverPruneAnnotations } } : metadata;
      new ApiObject(stage, `gateway-api-${kind}-${metadata.name}`, { apiVersion, kind, metadata: kept, ...rest });
    }
  },
  summary(cluster) {
    const g = gatewayApiOf(cluster);
    return g?.install === false ? 'Gateway API CRDs owned by something else (gatewayAPI.install: false)' : undefined;
  },
};
