/** Linkerd's parts of dist/README.md: topology, cluster rows, links, how to verify, firewall. */
import type { Fleet } from '../../fleet/types';
import type { ClusterPlan } from '../../contracts/plan';
import { shellWord } from '../../format/shell';
import { SAMPLE_NAMESPACE } from '../../samples/bookinfo';
import { HELLOWORLD, HELLOWORLD_PORT } from '../../samples/helloworld';
import type { CoreRows, MeshReadme, RootRotation } from '../../contracts/mesh';
import type { RotationPhase } from '../../contracts/store';
import { rootRotationSection } from '../../pki/rotation';
import { tokenRotationSection } from '../../pki/tokens';
import { linkerdRootRotation, type LinkerdPki } from './ca';
import { GATEWAY_PORT, PROBE_PORT } from './control-plane';
import { linkerdOf } from './defaults';
import { credentialsName, linkStatus } from './link';
import { samplePlacement } from './samples';
import { linkerdUpgrading } from './upgrading';

/** What to wait for on the live clusters after each phase of a trust anchor rotation (Linkerd's manual anchor rotation). */
export function linkerdRotationWaits(phase: RotationPhase | 'finished'): string[] {
  const restart = 'restart the meshed workloads, the control plane first: `kubectl rollout restart deployment -n linkerd --context <context>`, the same in `linkerd-multicluster`, then every meshed namespace ' +
    '(a proxy reads its trust anchors when its pod starts)';
  const check = '`linkerd check --proxy --context <context>`';
  switch (phase) {
    case 'begun':
      return [`Once \`linkerd-control-plane\` has upgraded on every cluster, ${restart}.`, `Wait until ${check} passes on every cluster, and the links stay alive (\`linkerd multicluster check --context <context>\`).`];
    case 'reissuing':
    case 'reissued':
      return ['The identity controller reloads the new `linkerd-identity-issuer`; proxy certificates renew under it within their lifetime (24 hours), or at once when the workloads restart.',
        `Wait until \`linkerd identity -n <namespace> <pod> --context <context>\` shows the new issuer on every cluster and ${check} passes before \`finish\`.`];
    case 'finished':
      return [`Once \`linkerd-control-plane\` has upgraded, ${restart}, so no proxy keeps the old anchor.`, `${check} passes; then do the revocation entry of the former anchor.`];
  }
}

export const linkerdRotation: RootRotation = { ...linkerdRootRotation, waitSteps: linkerdRotationWaits };

export const linkerdReadme: MeshReadme<LinkerdPki> = {
  rotation: (fleet, pki) => [
    `A cluster's identity issuer is issued for ${linkerdOf(fleet).ca.issuerValidityDays} days (\`spec.mesh.linkerd.ca.issuerValidityDays\`), the trust anchor for ${linkerdOf(fleet).ca.anchorValidityDays} (\`npm run pki -- status\` shows what each certificate has). ` +
      '`npm run check` warns 90 days before an issuer ends and fails at 30. Renew it under the same anchor: `npm run pki -- rotate <cluster>`, `npm run synth`, commit; ' +
      'the identity controller reloads the new `linkerd-identity-issuer` Secret, and proxy certificates (a day long) follow within a day. Check with `linkerd check --proxy --context <context>`.',
    '',
    ...rootRotationSection(pki?.trust, fleet, linkerdRotation),
    '', ...tokenRotationSection('remote-access token', pki?.tokens, []),
  ],
  upgrading: linkerdUpgrading,
  runbook: () => ({
    afterReady: '**Link**: once every cluster runs its multicluster gateway, `npm run link` (it reads each cluster\'s remote-access credentials and gateway address), then `npm run synth`, commit and push ("Links" below).',
    verify: '**Verify** ("Verify" below): every link is alive, and the sample answers across the clusters.',
  }),
  summary(fleet) {
    const l = linkerdOf(fleet);
    return `Linkerd ${l.version} (${l.edge}, edge charts ${l.chartVersion}) multicluster through gateways, one trust anchor`;
  },
  topology: (fleet) => [
    '```mermaid',
    ...mermaid(fleet),
    '```',
    '',
    `Each cluster runs its own Linkerd control plane; every identity issuer is signed by the fleet's one trust anchor, so proxies of all clusters trust each other. ` +
      `A service labelled \`mirror.linkerd.io/exported=true\` is mirrored into every linked cluster as \`<service>-<cluster>\`, ` +
      `and calls to the mirror travel mTLS through the exporting cluster's \`linkerd-gateway\` on ${GATEWAY_PORT}/TCP (probed on ${PROBE_PORT}/TCP). ` +
      'Each cluster\'s service-mirror controllers watch the other clusters\' API servers with the credentials `npm run link` collected.',
  ],
  clusterRows(plan: ClusterPlan, core: CoreRows): [string, string][] {
    const c = plan.cluster;
    return [
      ['kubeconfig context', core.context],
      ['API server', core.apiServer],
      ['CNI', core.cni],
      ['multicluster gateway', c.gateway.address
        ? `\`${c.gateway.address}:${GATEWAY_PORT}\` (pinned in fleet.yaml; the other clusters' Links use it${c.gateway.serviceType === 'NodePort' ? `; a NodePort Service: the NAT in front forwards ${GATEWAY_PORT} and ${PROBE_PORT} to its NodePorts` : ''})`
        : `address taken from the \`linkerd-gateway\` LoadBalancer status when \`npm run link\` runs`],
      ['add-ons', core.addOns],
      ['sample apps', plan.fleet.samples.enabled ? sampleSummary(plan) : 'disabled'],
      [core.gitopsPathLabel, core.gitopsPath],
      ['stages', core.stages],
    ];
  },
  sections(fleet, pki) {
    const links = linkStatus(fleet, pki);
    const pending = links.filter((l) => !l.linked);
    const l = linkerdOf(fleet);
    const s = l.samples;
    const client = fleet.clusters.find((c) => c.name === s.client);
    const out = [
      '## Links',
      '',
      pending.length === 0
        ? 'Every cluster links every other cluster.'
        : `${pending.length} of ${links.length} links are pending. Once every cluster has applied its \`mesh\` stage, run \`npm run link\`, then \`npm run synth\`, and commit.`,
      '',
      '| target cluster (mirrored) | linking cluster | Link and credentials |',
      '|---|---|---|',
      ...links.map((x) => `| ${x.from} | ${x.to} | ${x.linked ? `\`Link/${x.from}\`, \`${credentialsName(x.from)}\`` : 'pending'} |`),
      '',
      '## Verify',
      '',
      'With the `linkerd` CLI of the same release (`' + l.edge + '`), for each cluster:',
      '',
      '```sh',
      ...fleet.clusters.flatMap((c) => [
        `linkerd check --context ${shellWord(c.context)}`,
        `linkerd multicluster check --context ${shellWord(c.context)}`,
        `linkerd multicluster gateways --context ${shellWord(c.context)}`,
      ]),
      '```',
      '',
      '`linkerd multicluster check` lists every linked cluster under "Link resources are valid", "remote cluster access credentials are valid" and "clusters share trust anchors"; `gateways` shows each target\'s gateway as alive with its latency.',
      '',
    ];
    if (fleet.samples.enabled && client && s.exporter) {
      out.push(
        `The sample apps: \`${HELLOWORLD}-${s.exporter}\` (the mirror of ${s.exporter}'s exported helloworld) appears in ${client.name}, and curl in ${client.name} gets answers from v1 (${s.exporter}) and v2 (${client.name}) about half each:`,
        '',
        '```sh',
        `kubectl --context ${shellWord(client.context)} -n ${SAMPLE_NAMESPACE} get service ${HELLOWORLD}-${s.exporter}`,
        `kubectl --context ${shellWord(client.context)} -n ${SAMPLE_NAMESPACE} exec deploy/curl -c curl -- \\`,
        `  sh -c 'for i in $(seq 1 10); do curl -sS ${HELLOWORLD}:${HELLOWORLD_PORT}/hello; done'`,
        '```',
        '',
        'Expect lines like `Hello version: v1, instance: helloworld-v1-…` and `Hello version: v2, instance: helloworld-v2-…`. ' +
          (s.split === 'smi'
            ? 'The split is the seed\'s SMI `TrafficSplit` (linkerd-smi turns it into a ServiceProfile).'
            : `The split is the policy.linkerd.io \`HTTPRoute\` \`${HELLOWORLD}-split\` (meshfleet's default; set \`spec.samples.split: smi\` for the seed's TrafficSplit).`),
        '',
      );
    }
    return out;
  },
  stageSummaries: () => ({
    'mesh-prereqs': 'what must exist before Linkerd first starts: the linkerd and linkerd-multicluster Namespaces (with the labels `linkerd install` sets), the identity issuer Secret',
    mesh: 'Linkerd Helm releases: linkerd-crds → linkerd-control-plane → linkerd-multicluster (gateway, a service-mirror controller per peer)',
    'mesh-config': 'the Links to the other clusters and their credentials (from `npm run link`)',
  }),
  firewall: () => [
    '| from | to | port | why |',
    '|---|---|---|---|',
    `| every other cluster's nodes (egress/NAT addresses) | each linkerd-gateway | ${GATEWAY_PORT}/TCP | mirrored service traffic (mTLS) |`,
    `| every other cluster's nodes (egress/NAT addresses) | each linkerd-gateway | ${PROBE_PORT}/TCP | the service-mirror controllers' gateway probes |`,
    '| every other cluster\'s service-mirror controllers (egress/NAT addresses) | each API server | the apiServer port | watching exported services through the link credentials |',
    '',
    `The seed also opens ${HELLOWORLD_PORT}/TCP for the sample app; meshfleet does not need it, since cross-cluster calls enter through the gateway on ${GATEWAY_PORT}.`,
  ],
  afterBootstrap: (_fleet, _dist, engine) => [
    `${engine} then applies the stages above. Once every cluster's \`mesh\` stage is Ready (the linkerd-multicluster release has made the gateway and the remote-access token), ` +
      'run `npm run link` (it reads each cluster through its kubeconfig context and writes the Links and encrypted credentials into pki/links/), `npm run synth`, and commit: ' +
      `${engine} then applies them in \`mesh-config\`. Run it again after a cluster is rebuilt or its gateway address changes.`,
  ],
};

function sampleSummary(plan: ClusterPlan): string {
  const here = samplePlacement(plan);
  const parts = [
    ...here.versions.map((v) => `helloworld-${v}`),
    ...(here.curl ? ['curl'] : []),
  ];
  if (parts.length === 0) return 'none';
  const exporter = linkerdOf(plan.fleet).samples.exporter;
  return [
    parts.join(', '),
    here.exported ? 'helloworld exported' : '',
    here.split ? `50/50 split helloworld / helloworld-${exporter} (${linkerdOf(plan.fleet).samples.split === 'smi' ? 'SMI TrafficSplit' : 'HTTPRoute'})` : '',
  ].filter(Boolean).join('; ');
}

function mermaid(fleet: Fleet): string[] {
  const lines = ['flowchart LR'];
  for (const c of fleet.clusters) {
    lines.push(`  subgraph c${fleet.clusters.indexOf(c)} ["${c.name}"]`);
    lines.push(`    cp${fleet.clusters.indexOf(c)}["linkerd control plane<br/>${c.cni}"]`);
    lines.push(`    g${fleet.clusters.indexOf(c)}[/"linkerd-gateway<br/>${c.gateway.address ? `${c.gateway.address}:${GATEWAY_PORT}` : `LB:${GATEWAY_PORT}`}"/]`);
    lines.push('  end');
  }
  for (const a of fleet.clusters) {
    for (const b of fleet.clusters) {
      if (fleet.clusters.indexOf(a) < fleet.clusters.indexOf(b)) lines.push(`  g${fleet.clusters.indexOf(a)} <-- "mTLS ${GATEWAY_PORT}" --> g${fleet.clusters.indexOf(b)}`);
    }
  }
  return lines;
}
