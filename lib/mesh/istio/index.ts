/**
 * Istio multi-primary on different networks (seed 000): the mesh module. Every cluster runs its
 * own istiod from Istio's Helm charts, with a plug-in CA from one shared root and a dedicated
 * east-west gateway; istiods watch each other's API servers through remote secrets.
 */
import type { MeshModule } from '../types';
import { addBookinfo } from '../../samples/bookinfo';
import { istioCa, type IstioPki } from './ca';
import { addIstio } from './control-plane';
import { istioClusterOf, resolveIstio, resolveIstioCluster } from './defaults';
import { addIstioctlFile } from './istioctl';
import { linkIstio } from './link';
import { istioReadme } from './readme';
import { addCacerts, addRemoteSecrets, linkStatus } from './remote-secrets';
import { istioRules, SUPPORTED_ISTIO_VERSIONS } from './rules';
import { istioClusterSchema, istioSchema } from './schema';

export const istio: MeshModule = {
  type: 'istio',
  schema: istioSchema,
  clusterSchema: istioClusterSchema,
  resolve: resolveIstio,
  resolveCluster: resolveIstioCluster,
  rules: istioRules,
  ca: istioCa,
  plan(plan) {
    addIstio(plan);
    addCacerts(plan);
    addRemoteSecrets(plan);
    addIstioctlFile(plan);
    addBookinfo(plan, istioClusterOf(plan.cluster).samples, { 'istio-injection': 'enabled' });
  },
  link: {
    status: (fleet, pki) => linkStatus(fleet, pki as IstioPki | undefined),
    run: linkIstio,
    pendingHint: 'once the clusters run the mesh-config stage, run `npm run link`, then synth again.',
  },
  readme: istioReadme,
  pins: { 'Istio (charts base, istiod, gateway)': SUPPORTED_ISTIO_VERSIONS.join(', ') },
};
