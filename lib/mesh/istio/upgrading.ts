/** dist/README's "Upgrading" for Istio: in place, one minor at a time, with istioctl's checks. */
import type { Fleet } from '../../fleet/types';
import { shellWord } from '../../format/shell';
import { nextMinor, upgradingIntro } from '../../contracts/support';
import { SAMPLE_NAMESPACE } from '../../samples/bookinfo';
import { isRemote, istioOf } from './defaults';
import { ISTIO_RELEASES } from './releases';
import { ISTIO_NAMESPACE } from './values';
import { istiodReleaseName, revisionName, STABLE_TAG, tagsOf, usesRevisions } from './revisions';

export function istioUpgrading(fleet: Fleet): string[] {
  if (usesRevisions(fleet)) return canaryUpgrading(fleet);
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

/** Mid-canary: where each cluster's tags point, what to restart after this step, and how to verify it. */
function canaryUpgrading(fleet: Fleet): string[] {
  const istio = istioOf(fleet);
  const revisions = istio.revisions!;
  const tags = [...new Set(fleet.clusters.flatMap((c) => Object.keys(tagsOf(fleet, c))))].sort();
  return [
    `This fleet runs Istio by revision (a canary): ${revisions.map((v) => `${v} (release \`${istiodReleaseName(v, istio.unrevisioned)}\`)`).join(' and ')} on every cluster. ` +
      '`npm run upgrade -- plan istio <version>` prints the steps from here; `--write` applies the next to fleet.yaml (one pull request each).',
    '',
    `| cluster | ${tags.map((t) => `\`${t}\``).join(' | ')} |`,
    `|---|${tags.map(() => '---|').join('')}`,
    ...fleet.clusters.map((c) => `| ${c.name} | ${tags.map((t) => tagsOf(fleet, c)[t] ?? '').join(' | ')} |`),
    '',
    '**After merging a step that moves a tag on a cluster**, its workloads move when their pods restart (meshfleet\'s samples restart by themselves: their pod template carries the revision). For each namespace on the moved tag:',
    '',
    '```sh',
    ...fleet.clusters.map((c) => `kubectl --context ${shellWord(c.context)} get namespaces -l istio.io/rev=${STABLE_TAG} -o name   # then: kubectl --context ${shellWord(c.context)} rollout restart deploy -n <namespace>`),
    '```',
    '',
    ...(istio.unrevisioned !== undefined
      ? [`Namespaces labelled \`istio-injection=enabled\` stay on the in-place istiod ${istio.unrevisioned} until it is removed: relabel them (\`kubectl label namespace <ns> istio-injection- istio.io/rev=${STABLE_TAG}\`) before the step that removes it.`, '']
      : []),
    '**Verify** each step: which revision each proxy uses, and that every revision sees the other clusters:',
    '',
    '```sh',
    ...fleet.clusters.flatMap((c) => [`istioctl proxy-status --context ${shellWord(c.context)}`,
      ...revisions.map((v) => `istioctl remote-clusters --context ${shellWord(c.context)} --revision ${v === istio.unrevisioned ? 'default' : revisionName(v)}`)]),
    '```',
    '',
    `Then the sample's cross-cluster check ("Verify" above)${fleet.samples.enabled ? ` from the \`${SAMPLE_NAMESPACE}\` namespace` : ''}.`,
  ];
}
