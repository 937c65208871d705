/** dist/README's "Upgrading" for Istio: in place, one minor at a time, with istioctl's checks. */
import type { Fleet } from '../../fleet/types';
import { shellWord } from '../../format/shell';
import { nextMinor, upgradingIntro } from '../../contracts/support';
import { SAMPLE_NAMESPACE } from '../../samples/bookinfo';
import { isRemote, istioOf } from './defaults';
import { ISTIO_RELEASES } from './releases';
import { ISTIO_NAMESPACE } from './values';

export function istioUpgrading(fleet: Fleet): string[] {
  const { version } = istioOf(fleet);
  const next = nextMinor(ISTIO_RELEASES.installs, version);
  const primaries = fleet.clusters.filter((c) => !isRemote(c));
  const remotes = fleet.clusters.filter((c) => isRemote(c));
  const each = (cmd: (ctx: string) => string, clusters = fleet.clusters): string[] => clusters.map((c) => cmd(shellWord(c.context)));
  return [
    ...upgradingIntro(ISTIO_RELEASES, version,
      'Istio upgrades in place one minor at a time (istio.io, "In-place upgrade"); a proxy may run one minor behind its istiod, never ahead.'),
    `1. **Before**, with \`istioctl\` of the target release${next ? ` (${next})` : ''} on every cluster (it reports what the new release would break):`,
    '',
    '   ```sh',
    ...each((ctx) => `   istioctl x precheck --context ${ctx}`).map((l) => l),
    '   ```',
    '',
    `2. **Change** \`spec.mesh.istio.version\`${next ? ` to \`"${next}"\`` : ''}, \`npm run synth\`, review \`npm run diff\` (every cluster's base, istiod and east-west gateway change chart version), commit. ` +
      `Each cluster upgrades base (its CRDs) first, then istiod, then the east-west gateway, in the stage order.${remotes.length > 0 ? ` Merge when the primaries (${primaries.map((c) => `\`${c.name}\``).join(', ')}) can go first: a remote's injection follows its primary's istiod.` : ''}`,
    '3. **Wait** until every istiod runs the new release and the remote clusters are synced again:',
    '',
    '   ```sh',
    ...each((ctx) => `   kubectl --context ${ctx} -n ${ISTIO_NAMESPACE} rollout status deploy/istiod && istioctl remote-clusters --context ${ctx}`, primaries),
    '   ```',
    '',
    `4. **Restart the workloads** so their sidecars take the new proxy (the data plane must be on the new minor before the next step): for every injected namespace, \`kubectl --context <context> rollout restart deploy -n <namespace>\`${fleet.samples.enabled ? ` (the samples: \`-n ${SAMPLE_NAMESPACE}\`)` : ''}. \`istioctl proxy-status --context <context>\` lists each proxy's version.`,
    '5. **Verify** as in "Verify" above, then the next step.',
  ];
}
