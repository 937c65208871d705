/** dist/README's "Upgrading" for Cilium: in place, one minor at a time, with cilium's checks. */
import type { Fleet } from '../../fleet/types';
import { shellWord } from '../../format/shell';
import { compareVersions } from '../../format/semver';
import { nextMinor, upgradingIntro } from '../../contracts/support';
import { ciliumOf } from './defaults';
import { CILIUM_RELEASES } from './releases';

export function ciliumUpgrading(fleet: Fleet): string[] {
  const { version } = ciliumOf(fleet);
  const next = nextMinor(CILIUM_RELEASES.installs, version);
  const each = (cmd: (ctx: string) => string): string[] => fleet.clusters.map((c) => `   ${cmd(shellWord(c.context))}`);
  return [
    ...upgradingIntro(CILIUM_RELEASES, version,
      'Cilium upgrades and rolls back only between consecutive minor releases (docs.cilium.io, "Upgrade Guide"), from the latest patch of the current one.'),
    '1. **Before**, on every cluster (all agents and the clustermesh-apiserver healthy):',
    '',
    '   ```sh',
    ...each((ctx) => `cilium status --context ${ctx} --wait && cilium clustermesh status --context ${ctx} --wait`),
    '   ```',
    '',
    ...(next && compareVersions(next, '1.19.0') >= 0 && compareVersions(version, '1.19.0') < 0
      ? ['   Cilium 1.19 makes policies select only their own cluster unless they name one (`clustermesh.policyDefaultLocalCluster: true`): list the policies that change with `cilium clustermesh inspect-policy-default-local-cluster --all-namespaces` first (README, "Upgrading: Istio 1.30.3 and Cilium 1.19.6 by default").', '']
      : []),
    `2. **Change** \`spec.mesh.cilium.version\`${next ? ` to \`"${next}"\`` : ''}, \`npm run synth\`, review \`npm run diff\`, commit. The agents restart node by node (\`rollOutCiliumPods\`); connections through the restarting agent are re-established.`,
    '3. **Verify**, on every cluster, before the next step:',
    '',
    '   ```sh',
    ...each((ctx) => `cilium status --context ${ctx} --wait && cilium clustermesh status --context ${ctx} --wait`),
    '   ```',
  ];
}
