/** Istio's parts of dist/README.md: topology, cluster rows, remote secrets, firewall, istioctl. */
import type { Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../plan';
import { placementSummary } from '../../samples/placement';
import type { CoreRows, MeshReadme } from '../types';
import type { IstioPki } from './ca';
import { istioClusterOf, istioOf } from './defaults';
import { istioctlPath } from './istioctl';
import { linkStatus } from './remote-secrets';
import { EASTWEST_PORT } from './values';

export const istioReadme: MeshReadme = {
  summary(fleet) {
    const istio = istioOf(fleet);
    return `Istio ${istio.version} multi-primary on different networks, mesh ID \`${istio.meshID}\``;
  },
  topology: (fleet) => [
    '```mermaid',
    ...mermaid(fleet),
    '```',
    '',
    `Each cluster runs its own istiod (primary) and reaches the others' workloads through their east-west gateways on ${EASTWEST_PORT}/TCP (mTLS, AUTO_PASSTHROUGH). ` +
      'Each istiod also watches the other clusters\' API servers through remote secrets.',
  ],
  clusterRows(plan: ClusterPlan, core: CoreRows, dist: string): [string, string][] {
    const c = plan.cluster;
    return [
      ['kubeconfig context', core.context],
      ['network', `\`${istioClusterOf(c).network}\``],
      ['API server', core.apiServer],
      ['CNI', core.cni],
      ['east-west gateway', c.gateway.address
        ? `\`${c.gateway.address}:${EASTWEST_PORT}\` (pinned in fleet.yaml, announced to every istiod through meshNetworks)`
        : 'address taken from the LoadBalancer Service status'],
      ['add-ons', core.addOns],
      ['sample apps', plan.fleet.samples.enabled ? placementSummary(istioClusterOf(c).samples) : 'disabled'],
      [core.gitopsPathLabel, core.gitopsPath],
      ['stages', core.stages],
      ['istioctl alternative', `\`${dist}${istioctlPath(c.name)}\``],
    ];
  },
  sections(fleet, pki) {
    const links = linkStatus(fleet, pki as IstioPki | undefined);
    const pending = links.filter((l) => !l.linked);
    return [
      '## Remote secrets',
      '',
      pending.length === 0
        ? 'Every istiod has the remote secrets of all the other clusters.'
        : `${pending.length} of ${links.length} links are pending. Once every cluster has applied its \`mesh-config\` stage, run \`npm run link\`, then \`npm run synth\`, and commit.`,
      '',
      '| watched cluster (token) | watching istiod | remote secret |',
      '|---|---|---|',
      ...links.map((l) => `| ${l.from} | ${l.to} | ${l.linked ? '`istio-remote-secret-' + l.from + '`' : 'pending'} |`),
      '',
    ];
  },
  stageSummaries: {
    'mesh-prereqs': 'what must exist before istiod first starts: the istio-system Namespace with its network label, the plug-in CA',
    mesh: 'Istio Helm releases: istio-base → istiod → istio-eastwestgateway',
    'mesh-config': 'Istio custom resources (cross-network Gateway) and remote secrets',
  },
  firewall: () => [
    '| from | to | port | why |',
    '|---|---|---|---|',
    `| every other cluster's nodes (egress/NAT addresses) | each east-west gateway | ${EASTWEST_PORT}/TCP | cross-network service traffic |`,
    '| every other cluster\'s istiod (egress/NAT addresses) | each API server | the apiServer port | endpoint discovery through remote secrets |',
    '| the load balancer in front of a gateway | that gateway | 15021/TCP | health checks only |',
    '',
    'The gateway Service also lists 15012 and 15017 (the chart hard-codes them for primary-remote setups); multi-primary does not use them, so do not open them. 80, 443 and 31400 are north-south ports and are not needed either.',
  ],
  afterBootstrap: (_fleet, dist, engine) => [
    `${engine} then applies the stages above. To install with istioctl instead of ${engine}, apply the \`mesh-prereqs\` folder first, then ` +
      `\`istioctl install --context <context> -f ${dist}istioctl/<cluster>.yaml\`, then the \`mesh-config\` and \`apps\` folders.`,
  ],
};

function mermaid(fleet: Fleet): string[] {
  const lines = ['flowchart LR'];
  const networkOf = (c: Fleet['clusters'][number]): string => istioClusterOf(c).network;
  const networks = [...new Set(fleet.clusters.map(networkOf))];
  networks.forEach((network, n) => {
    lines.push(`  subgraph net${n} ["${network}"]`);
    for (const c of fleet.clusters.filter((x) => networkOf(x) === network)) {
      lines.push(`    c${c.index}["${c.name}<br/>istiod · ${c.cni}"]`);
      lines.push(`    g${c.index}[/"east-west gateway<br/>${c.gateway.address ? `${c.gateway.address}:${EASTWEST_PORT}` : `LB:${EASTWEST_PORT}`}"/]`);
      lines.push(`    c${c.index} --- g${c.index}`);
    }
    lines.push('  end');
  });
  for (const a of fleet.clusters) {
    for (const b of fleet.clusters) {
      if (a.index < b.index) lines.push(`  g${a.index} <-- "mTLS ${EASTWEST_PORT}" --> g${b.index}`);
    }
  }
  return lines;
}
