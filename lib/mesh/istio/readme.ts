/** Istio's parts of dist/README.md: topology, cluster rows, remote secrets, firewall, istioctl. */
import type { Fleet } from '../../fleet/types';
import { shellWord } from '../../format/shell';
import type { ClusterPlan } from '../../contracts/plan';
import { SAMPLE_NAMESPACE } from '../../samples/bookinfo';
import { helloworldSummary, HELLOWORLD_PORT } from '../../samples/helloworld';
import { placementSummary } from '../../samples/placement';
import type { CoreRows, MeshReadme, RootRotation } from '../../contracts/mesh';
import { istioRootRotation, type IstioPki } from './ca';
import { rootRotationSection } from '../../pki/rotation';
import { tokenRotationSection } from '../../pki/tokens';
import { remoteSecretRestart } from './link';
import type { RotationPhase } from '../../contracts/store';
import { hasEastWestGateway, isPrimaryRemote, isRemote, istioClusterOf, istioOf, networksOf, primaryOf, remotesOf, watchersOf } from './defaults';
import { istioctlPath } from './istioctl';
import { usesRevisions } from './revisions';
import { linkStatus } from './remote-secrets';
import { EASTWEST_GATEWAY, EASTWEST_PORT, ISTIOD_WEBHOOK_PORT, ISTIOD_XDS_PORT, STATUS_PORT } from './values';
import { istioUpgrading } from './upgrading';

/** What to wait for on the live clusters after each phase of a root rotation (upstream's plug-in CA multi-root procedure). */
export function istioRotationWaits(phase: RotationPhase | 'finished'): string[] {
  const restartIstiod = '`kubectl rollout restart deployment -n istio-system -l app=istiod --context <context>`';
  const restartWorkloads = '`kubectl rollout restart deployment -n <namespace> --context <context>` in every meshed namespace (gateways included)';
  const secret = '`istioctl proxy-config secret <pod> -n <namespace> --context <context>`';
  switch (phase) {
    case 'begun':
      return [`istiod restarts by itself (ISTIO_MULTIROOT_MESH is set while both roots are trusted). Then restart the workloads, ${restartWorkloads}, so every proxy holds both roots and takes later bundles over xDS (PROXY_CONFIG_XDS_AGENT).`,
        `Wait until ${secret} shows two \`ROOTCA\` entries on a proxy of every cluster before the next phase.`];
    case 'reissuing':
    case 'reissued':
      return [`Restart istiod (${restartIstiod}) so it signs with the new intermediate; workload certificates then renew under the new chain within their lifetime (24 hours by default), or at once with ${restartWorkloads}.`,
        `Wait until ${secret} shows the new intermediate as the default certificate's issuer on every cluster before \`finish\`.`];
    case 'finished':
      return ['istiod restarts by itself (the multi-root setting goes); restart the workloads again, as after `begin`, so no proxy keeps the old root.',
        `${secret} shows one \`ROOTCA\`; then do the revocation entry of the former root.`];
  }
}

export const istioRotation: RootRotation = { ...istioRootRotation, waitSteps: istioRotationWaits };

export const istioReadme: MeshReadme<IstioPki> = {
  rotation: (fleet, pki) => [
    `A cluster's intermediate CA is issued for ${istioOf(fleet).ca.intermediateValidityDays} days (\`spec.mesh.istio.ca.intermediateValidityDays\`), the root for ${istioOf(fleet).ca.rootValidityDays} (\`npm run pki -- status\` shows what each certificate has). ` +
      '`npm run check` warns 90 days before an intermediate ends and fails at 30. Renew it under the same root: `npm run pki -- rotate <cluster>`, `npm run synth`, commit; ' +
      'the new `cacerts` reaches the cluster in `mesh-prereqs`, istiod takes the new intermediate without a restart, and workload certificates (a day long) follow within a day: nothing moves to a new trust. ' +
      'Check a proxy\'s chain with `istioctl proxy-config secret <pod> -n <namespace> --context <context>`.',
    '',
    ...rootRotationSection(pki?.trust, fleet, istioRotation),
    ...(fleet.clusters.some((c) => watchersOf(fleet, c).length > 0) ? ['', ...tokenRotationSection('reader token', pki?.tokens, remoteSecretRestart(fleet))] : []),
  ],
  upgrading: istioUpgrading,
  runbook: (fleet) => ({
    // A remote's injection webhook and its east-west gateway need its primary's istiod: primaries first.
    order: [...fleet.clusters.filter((c) => !isRemote(c)), ...fleet.clusters.filter((c) => isRemote(c))].map((c) => c.name),
    afterReady: '**Link**: once every cluster has applied its `mesh-config` stage, `npm run link` (it reads each cluster\'s reader token), then `npm run synth`, commit and push ("Remote secrets" below).',
    verify: '**Verify** ("Verify" below): every istiod lists the other clusters as synced, and the sample answers from every cluster.',
  }),
  summary(fleet) {
    const istio = istioOf(fleet);
    // Under revisions (a canary) both releases run: "Istio 1.28.10 and 1.30.3 (revisions)".
    const release = istio.revisions && istio.revisions.length > 1 ? `${istio.revisions.join(' and ')} (revisions, a canary)` : istio.version;
    if (isPrimaryRemote(fleet)) {
      const networks = networksOf(fleet).length;
      return `Istio ${release} primary-remote on ${networks === 1 ? 'one network' : `${networks} networks`}, mesh ID \`${istio.meshID}\``;
    }
    return `Istio ${release} multi-primary on different networks, mesh ID \`${istio.meshID}\``;
  },
  topology: (fleet) => isPrimaryRemote(fleet) ? primaryRemoteTopology(fleet) : [
    '```mermaid',
    ...mermaid(fleet),
    '```',
    '',
    `Each cluster runs its own istiod (primary) and reaches the others' workloads through their east-west gateways on ${EASTWEST_PORT}/TCP (mTLS, AUTO_PASSTHROUGH). ` +
      'Each istiod also watches the other clusters\' API servers through remote secrets.',
  ],
  clusterRows(plan: ClusterPlan, core: CoreRows, dist: string): [string, string][] {
    const c = plan.cluster;
    const fleet = plan.fleet;
    if (isPrimaryRemote(fleet)) return primaryRemoteRows(plan, core, dist);
    return [
      ['kubeconfig context', core.context],
      ['network', `\`${istioClusterOf(c).network}\``],
      ['API server', core.apiServer],
      ['CNI', core.cni],
      ['east-west gateway', c.gateway.address
        ? `\`${c.gateway.address}:${EASTWEST_PORT}\` (pinned in fleet.yaml, announced to every istiod through meshNetworks)${c.gateway.serviceType === 'NodePort' ? '; a NodePort Service: the NAT in front forwards it to the nodes' : ''}`
        : 'address taken from the LoadBalancer Service status'],
      ...fixedNodePorts(plan),
      ['add-ons', core.addOns],
      ['sample apps', plan.fleet.samples.enabled ? placementSummary(istioClusterOf(c).samples) : 'disabled'],
      [core.gitopsPathLabel, core.gitopsPath],
      ['stages', core.stages],
      ...(usesRevisions(plan.fleet) ? [] : [['istioctl alternative', `\`${dist}${istioctlPath(c.name)}\``] as [string, string]]),
    ];
  },
  sections(fleet, pki) {
    const links = linkStatus(fleet, pki);
    const pending = links.filter((l) => !l.linked);
    return [
      '## Remote secrets',
      '',
      pending.length === 0
        ? (isPrimaryRemote(fleet) ? 'Every primary\'s istiod has the remote secrets of all the other clusters.' : 'Every istiod has the remote secrets of all the other clusters.')
        : `${pending.length} of ${links.length} links are pending. Once every cluster has applied its \`mesh-config\` stage, run \`npm run link\`, then \`npm run synth\`, and commit.`,
      '',
      '| watched cluster (token) | watching istiod | remote secret |',
      '|---|---|---|',
      ...links.map((l) => `| ${l.from} | ${l.to} | ${l.linked ? '`istio-remote-secret-' + l.from + '`' : 'pending'} |`),
      '',
      ...(isPrimaryRemote(fleet) ? primaryRemoteSections(fleet) : multiPrimaryVerify(fleet)),
    ];
  },
  stageSummaries: () => ({
    'mesh-prereqs': 'what must exist before istiod first starts: the istio-system Namespace with its network label, the plug-in CA',
    mesh: 'Istio Helm releases: istio-base → istiod → istio-eastwestgateway',
    'mesh-config': 'Istio custom resources (cross-network Gateway) and remote secrets',
  }),
  firewall: (fleet) => isPrimaryRemote(fleet) ? primaryRemoteFirewall(fleet) : [
    '| from | to | port | why |',
    '|---|---|---|---|',
    `| every other cluster's nodes (egress/NAT addresses) | each east-west gateway | ${EASTWEST_PORT}/TCP | cross-network service traffic |`,
    '| every other cluster\'s istiod (egress/NAT addresses) | each API server | the apiServer port | endpoint discovery through remote secrets |',
    '| the load balancer in front of a gateway | that gateway | 15021/TCP | health checks only |',
    '',
    'The gateway Service also lists 15012 and 15017 (the chart hard-codes them for primary-remote setups); multi-primary does not use them, so do not open them. 80, 443 and 31400 are north-south ports and are not needed either.',
  ],
  afterBootstrap: (fleet, dist, engine) => usesRevisions(fleet) ? [`${engine} then applies the stages above. (Under revisions there is no istioctl alternative: \`istioctl install\` would add one unrevisioned control plane.)`] : [
    `${engine} then applies the stages above. To install with istioctl instead of ${engine}, apply each stage folder yourself, in order, ` +
      'decrypting the SOPS-encrypted Secrets on the way (never `kubectl apply` an encrypted file: the cluster would get ciphertext):',
    '',
    '```sh',
    `for f in ${dist}manifests/<cluster>/mesh-prereqs/*.yaml; do [ "$(basename "$f")" = kustomization.yaml ] && continue;`,
    '  if grep -q "^sops:" "$f"; then sops --decrypt "$f"; else cat "$f"; fi | kubectl --context <context> apply -f -; done',
    `istioctl install --context <context> -f ${dist}istioctl/<cluster>.yaml`,
    '```',
    '',
    'then the `mesh-config` and `apps` folders the same way (`sops` needs the cluster\'s or an operator\'s age identity in `SOPS_AGE_KEY_FILE`).',
  ],
};

function mermaid(fleet: Fleet): string[] {
  const lines = ['flowchart LR'];
  const networkOf = (c: Fleet['clusters'][number]): string => istioClusterOf(c).network;
  const networks = [...new Set(fleet.clusters.map(networkOf))];
  networks.forEach((network, n) => {
    lines.push(`  subgraph net${n} ["${network}"]`);
    for (const c of fleet.clusters.filter((x) => networkOf(x) === network)) {
      lines.push(`    c${fleet.clusters.indexOf(c)}["${c.name}<br/>istiod · ${c.cni}"]`);
      lines.push(`    g${fleet.clusters.indexOf(c)}[/"east-west gateway<br/>${c.gateway.address ? `${c.gateway.address}:${EASTWEST_PORT}` : `LB:${EASTWEST_PORT}`}"/]`);
      lines.push(`    c${fleet.clusters.indexOf(c)} --- g${fleet.clusters.indexOf(c)}`);
    }
    lines.push('  end');
  });
  for (const a of fleet.clusters) {
    for (const b of fleet.clusters) {
      if (fleet.clusters.indexOf(a) < fleet.clusters.indexOf(b)) lines.push(`  g${fleet.clusters.indexOf(a)} <-- "mTLS ${EASTWEST_PORT}" --> g${fleet.clusters.indexOf(b)}`);
    }
  }
  return lines;
}

/** The fixed NodePorts a load balancer or NAT in front is pointed at (eastWestNodePort, eastWestStatusNodePort). */
function fixedNodePorts(plan: ClusterPlan): [string, string][] {
  const { eastWestNodePort, eastWestStatusNodePort } = istioClusterOf(plan.cluster);
  if (!hasEastWestGateway(plan.fleet, plan.cluster) || (eastWestNodePort === undefined && eastWestStatusNodePort === undefined)) return [];
  const parts = [
    ...(eastWestNodePort !== undefined ? [`\`${eastWestNodePort}\` → ${EASTWEST_PORT} (cross-network traffic)`] : []),
    ...(eastWestStatusNodePort !== undefined ? [`\`${eastWestStatusNodePort}\` → ${STATUS_PORT} (the health check)`] : []),
  ];
  return [['fixed NodePorts', `${parts.join(', ')} on every node, from \`${EASTWEST_GATEWAY}-nodeport\` in \`mesh-config\`: point the load balancer or NAT in front at these; they survive re-creating the gateway`]];
}

const gatewayAddress = (c: Fleet['clusters'][number]): string => `${c.gateway.address ?? 'LB'}`;

function primaryRemoteTopology(fleet: Fleet): string[] {
  const lines = ['flowchart LR'];
  const networkOf = (c: Fleet['clusters'][number]): string => istioClusterOf(c).network;
  networksOf(fleet).forEach((network, n) => {
    lines.push(`  subgraph net${n} ["${network}"]`);
    for (const c of fleet.clusters.filter((x) => networkOf(x) === network)) {
      lines.push(`    c${fleet.clusters.indexOf(c)}["${c.name}<br/>${isRemote(c) ? 'remote' : 'istiod'} · ${c.cni}"]`);
      if (hasEastWestGateway(fleet, c)) {
        lines.push(`    g${fleet.clusters.indexOf(c)}[/"east-west gateway<br/>${gatewayAddress(c)}"/]`);
        lines.push(`    c${fleet.clusters.indexOf(c)} --- g${fleet.clusters.indexOf(c)}`);
      }
    }
    lines.push('  end');
  });
  for (const c of fleet.clusters.filter(isRemote)) {
    const p = primaryOf(fleet, c);
    lines.push(`  c${fleet.clusters.indexOf(c)} -. "xDS ${ISTIOD_XDS_PORT} · webhook ${ISTIOD_WEBHOOK_PORT}" .-> g${fleet.clusters.indexOf(p)}`);
  }
  const gateways = fleet.clusters.filter((c) => hasEastWestGateway(fleet, c));
  for (const a of gateways) {
    for (const b of gateways) {
      if (fleet.clusters.indexOf(a) < fleet.clusters.indexOf(b) && networkOf(a) !== networkOf(b)) lines.push(`  g${fleet.clusters.indexOf(a)} <-- "mTLS ${EASTWEST_PORT}" --> g${fleet.clusters.indexOf(b)}`);
    }
  }
  return [
    '```mermaid',
    ...lines,
    '```',
    '',
    'Primaries run istiod; a remote runs none and uses its primary\'s istiod, reached through the primary\'s east-west gateway ' +
      `(${ISTIOD_XDS_PORT}/TCP for xDS and certificates, ${ISTIOD_WEBHOOK_PORT}/TCP for the injection webhook). ` +
      `Clusters on one network reach each other's pods directly; between networks, traffic crosses the east-west gateways on ${EASTWEST_PORT}/TCP (mTLS, AUTO_PASSTHROUGH). ` +
      'Each primary\'s istiod watches the API servers of all the other clusters through remote secrets.',
  ];
}

function primaryRemoteRows(plan: ClusterPlan, core: CoreRows, dist: string): [string, string][] {
  const { fleet, cluster: c } = plan;
  const remote = isRemote(c);
  const remotes = remotesOf(fleet, c);
  const gateway = hasEastWestGateway(fleet, c)
    ? (c.gateway.address ? `\`${c.gateway.address}\` (pinned in fleet.yaml${c.gateway.serviceType === 'NodePort' ? '; a NodePort Service: the NAT in front forwards it to the nodes' : ''})` : 'address taken from the LoadBalancer Service status')
    : 'none (no other network to cross' + (remote ? ', and its primary\'s gateway serves this network)' : ', and no remote to serve)');
  return [
    ['kubeconfig context', core.context],
    ['role', remote
      ? `remote of \`${primaryOf(fleet, c).name}\`: no istiod; sidecars and the injection webhook use \`${primaryOf(fleet, c).gateway.address}\` (${ISTIOD_XDS_PORT}, ${ISTIOD_WEBHOOK_PORT})`
      : `primary: runs istiod${remotes.length > 0 ? ` for itself and ${remotes.map((r) => `\`${r.name}\``).join(', ')} (exposed on ${ISTIOD_XDS_PORT}/${ISTIOD_WEBHOOK_PORT})` : ''}`],
    ['network', `\`${istioClusterOf(c).network}\``],
    ['API server', core.apiServer],
    ['CNI', core.cni],
    ['east-west gateway', gateway],
    ['add-ons', core.addOns],
    ['sample apps', fleet.samples.enabled ? helloworldSummary(istioClusterOf(c).helloworld) : 'disabled'],
    [core.gitopsPathLabel, core.gitopsPath],
    ['stages', core.stages],
    ...(usesRevisions(fleet) ? [] : [['istioctl alternative', `\`${dist}${istioctlPath(c.name)}\``] as [string, string]]),
  ];
}

/** Seed 000's checks, and the failures seen most when they do not pass. */
function multiPrimaryVerify(fleet: Fleet): string[] {
  const ctx = (c: Fleet['clusters'][number]): string => shellWord(c.context);
  const out = [
    '## Verify',
    '',
    'Once every stage is Ready and the remote secrets are placed, each istiod lists every other cluster as `synced`, and every proxy is connected:',
    '',
    '```sh',
    ...fleet.clusters.flatMap((c) => [`istioctl remote-clusters --context ${ctx(c)}`, `istioctl proxy-status --context ${ctx(c)}`]),
    '```',
  ];
  if (fleet.samples.enabled) {
    const clients = fleet.clusters.filter((c) => istioClusterOf(c).samples.sleep);
    const versions = [...new Set(fleet.clusters.flatMap((c) => istioClusterOf(c).samples.reviews))].sort();
    out.push(
      '',
      `Seed 000's check: from \`sleep\`, \`reviews\` answers from every version the fleet runs (${versions.join(', ')}), each in its own cluster. ` +
        'Each answer names the pod and the cluster that served it (`"podname": "reviews-v2-…","clustername": "…"`; meshfleet sets `CLUSTER_NAME` on every reviews Deployment):',
      '',
      '```sh',
      ...clients.map((c) => `for i in $(seq 10); do kubectl exec --context ${ctx(c)} -n ${SAMPLE_NAMESPACE} deploy/sleep -c sleep -- curl -sS reviews.${SAMPLE_NAMESPACE}:9080/reviews/1 | grep -o '"podname": "[^"]*","clustername": "[^"]*"'; done`),
      '```',
      '',
      'Only `reviews` runs, not `ratings`: v1 prints no rating, and v2 and v3 print `"rating": {"error": "Ratings service is currently unavailable"}` where the full Bookinfo shows black or red stars. ' +
        'That error is expected here; tell the versions apart by `podname`.',
    );
  }
  out.push(
    '',
    'When it does not work:',
    '',
    '| symptom | cause | fix |',
    '|---|---|---|',
    '| `kubectl get svc -n istio-system istio-eastwestgateway` shows `EXTERNAL-IP <pending>`; the `istio-eastwestgateway` release times out and is uninstalled | the cluster has no LoadBalancer implementation: Helm waits for an address nothing assigns (pinning `gateway.address` alone does not change that) | add `metallb` to the cluster in fleet.yaml, or set `gateway.serviceType: NodePort` with `gateway.address` the NAT address in front of the NodePorts (`eastWestNodePort` fixes the one it forwards to) |',
    `| only the local versions answer; \`istioctl remote-clusters\` says synced | ${EASTWEST_PORT}/TCP to the other gateways is blocked | open the rows of the Firewall section below; \`kubectl exec … -- curl -v\` shows \`upstream connect error\` |`,
    '| `istioctl remote-clusters` lists a cluster as not synced, or not at all | its remote secret is missing or its API server is unreachable | `npm run link`, `npm run synth`, commit; check the API server row of the firewall table |',
    '| `x509: certificate signed by unknown authority` / `tls: bad certificate` between clusters | an istiod started before `cacerts` existed and made its own CA | check `kubectl -n istio-system get secret cacerts`, then `kubectl -n istio-system rollout restart deployment/istiod` and restart the workloads |',
    '| `certificate is not yet valid` / expired | clock skew between nodes | run NTP on every node |',
    '',
  );
  return out;
}

function primaryRemoteSections(fleet: Fleet): string[] {
  const primaries = fleet.clusters.filter((c) => !isRemote(c));
  const remotes = fleet.clusters.filter(isRemote);
  const out = [
    'A remote\'s workloads (its east-west gateway and its sample apps) become ready only once its primary holds the remote\'s secret: ' +
      'bootstrap the remote, wait for its `mesh-config` stage to apply the reader token, run `npm run link` and `npm run synth`, and commit. ' +
      'Until then the remote\'s east-west gateway and its `apps` stage are not ready and keep retrying; the reader token `npm run link` reads is applied before anything that waits for them.',
    '',
    '## Verify',
    '',
    'Each primary lists the clusters its istiod watches (every other cluster, `synced`):',
    '',
    '```sh',
    ...primaries.map((p) => `istioctl remote-clusters --context ${shellWord(p.context)}`),
    ...remotes.map((r) => `kubectl --context ${shellWord(r.context)} get deployment -n istio-system   # a remote runs no istiod`),
    '```',
  ];
  if (fleet.samples.enabled) {
    const clients = fleet.clusters.filter((c) => istioClusterOf(c).helloworld.sleep);
    out.push(
      '',
      `From \`sleep\` in each cluster, \`helloworld\` answers from every version the fleet runs (${[...new Set(fleet.clusters.flatMap((c) => istioClusterOf(c).helloworld.helloworld))].sort().join(', ')}), across clusters and networks:`,
      '',
      '```sh',
      ...clients.map((c) => `for i in $(seq 10); do kubectl exec --context ${shellWord(c.context)} -n ${SAMPLE_NAMESPACE} deploy/sleep -c sleep -- curl -sS helloworld.${SAMPLE_NAMESPACE}:${HELLOWORLD_PORT}/hello; done`),
      '```',
    );
  }
  out.push('');
  return out;
}

function primaryRemoteFirewall(fleet: Fleet): string[] {
  const rows = [
    '| from | to | port | why |',
    '|---|---|---|---|',
  ];
  if (networksOf(fleet).length > 1) {
    rows.push(`| other networks' nodes (egress/NAT addresses) | each east-west gateway | ${EASTWEST_PORT}/TCP | cross-network service traffic |`);
  }
  for (const p of fleet.clusters.filter((c) => remotesOf(fleet, c).length > 0)) {
    rows.push(`| the nodes of ${remotesOf(fleet, p).map((r) => r.name).join(', ')} | ${p.name}'s east-west gateway \`${p.gateway.address}\` | ${ISTIOD_XDS_PORT}/TCP, ${ISTIOD_WEBHOOK_PORT}/TCP | xDS and certificates; the remote's API server calls the injection webhook |`);
  }
  rows.push(
    '| each primary\'s istiod (egress/NAT addresses) | the API server of every other cluster | the apiServer port | endpoint discovery (and, for a remote, its configuration) through remote secrets |',
    '| the load balancer in front of a gateway | that gateway | 15021/TCP | health checks only |',
    '',
    `Open ${ISTIOD_XDS_PORT} and ${ISTIOD_WEBHOOK_PORT} only on gateways of primaries with remotes. 80, 443 and 31400 are north-south ports and are not needed.`,
  );
  return rows;
}
