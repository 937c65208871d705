/** dist/README's "Upgrading" for Linkerd: the control plane, then every proxy, with linkerd's checks. */
import type { Fleet } from '../../fleet/types';
import { shellWord } from '../../format/shell';
import { linkerdOf, SUPPORTED_LINKERD_VERSIONS } from './defaults';

export function linkerdUpgrading(fleet: Fleet): string[] {
  const { version, edge } = linkerdOf(fleet);
  const newest = SUPPORTED_LINKERD_VERSIONS.at(-1)!;
  const each = (cmd: (ctx: string) => string): string[] => fleet.clusters.map((c) => `   ${cmd(shellWord(c.context))}`);
  return [
    `This fleet runs Linkerd ${version} (${edge}). Open-source Linkerd supports only its latest release; the control plane may run one version ahead of the proxies, not more (Linkerd's upgrade notes). ` +
      `${version === newest ? `${version} is the newest this meshfleet installs.` : `This meshfleet installs up to ${newest}: change \`spec.mesh.linkerd.version\`, synth, review, commit.`} ` +
      'synth warns when a change skips a release (the proxies then run two versions behind until restarted).',
    '',
    '1. **Before**, with the `linkerd` CLI of the target release, on every cluster:',
    '',
    '   ```sh',
    ...each((ctx) => `linkerd --context ${ctx} check --pre && linkerd --context ${ctx} check`),
    '   ```',
    '',
    '2. **Change** the version, `npm run synth`, review `npm run diff`, commit. Each cluster upgrades `linkerd-crds` first, then `linkerd-control-plane`, then `linkerd-multicluster`.',
    '3. **Restart the meshed workloads** once `linkerd check` passes on the cluster, so every proxy follows: `kubectl --context <context> rollout restart deploy -n <namespace>` for each meshed namespace.',
    '4. **Verify**, on every cluster:',
    '',
    '   ```sh',
    ...each((ctx) => `linkerd --context ${ctx} check --proxy && linkerd --context ${ctx} multicluster check`),
    '   ```',
  ];
}
