/** Cilium ClusterMesh's parts of dist/README.md: topology, install-Cilium-first, verification, firewall. */
import type { ClusterPlan } from '../../contracts/plan';
import { shellFlag, shellWord } from '../../format/shell';
import type { CoreRows, MeshReadme } from '../../contracts/mesh';
import { caSummary, ciliumRootRotation, type CiliumPki } from './ca';
import type { RootRotation } from '../../contracts/mesh';
import type { RotationPhase } from '../../contracts/store';
import { rootRotationSection } from '../../pki/rotation';
import { CA_SECRET_FILE, valuesFilePath } from './control-plane';
import { ciliumClusterOf, ciliumOf } from './defaults';
import { SONG_NAMESPACE, USERLIST_SERVICE } from './samples';
import { CERT_RENEWAL_SCHEDULE, CILIUM_HELM_REPOSITORY, CILIUM_NAMESPACE, CILIUM_RELEASE, peerOf, type MeshPeer } from './values';
import { ciliumUpgrading } from './upgrading';

const endpoint = (p: MeshPeer): string => `${p.address ?? p.ips!.join(', ')} port ${p.port}`;

/**
 * Which userlist pods answer a curltest pod under each `service.cilium.io/affinity` (Cilium's
 * service affinity: `local` and `remote` prefer one side's backends and use the other side's only
 * when the preferred ones have none healthy; `none` balances over all).
 */
const AFFINITY_ANSWERS = {
  none: 'the answers come from the userlist pods of every cluster, round robin.',
  local: 'the answers come from the userlist pods of the caller\'s own cluster only; the other clusters\' pods answer only when it has no healthy one (scale its userlist to 0 to see the failover).',
  remote: 'the answers come from the userlist pods of the other clusters only; the caller\'s own pods answer only when no other cluster has a healthy one.',
} as const;

/** What to wait for on the live clusters after each phase of a Cilium CA rotation (the chart's CA trust bundle). */
export function ciliumRotationWaits(phase: RotationPhase | 'finished'): string[] {
  const restart = `\`kubectl rollout restart -n ${CILIUM_NAMESPACE} daemonset/cilium deployment/clustermesh-apiserver deployment/hubble-relay --context <context>\``;
  const status = '`cilium clustermesh status --context <context>`';
  switch (phase) {
    case 'begun':
      return [`Once the \`cilium\` release has upgraded (its pods restart onto the bundle by themselves, \`rollOutCiliumPods\`), wait until ${status} shows every remote cluster connected on every cluster.`];
    case 'reissuing':
    case 'reissued':
      return [`On each re-issued cluster, have certgen sign with the new CA now: \`kubectl create job -n ${CILIUM_NAMESPACE} --from=cronjob/clustermesh-apiserver-generate-certs clustermesh-certs-now --context <context>\` ` +
        `(and \`--from=cronjob/hubble-generate-certs hubble-certs-now\`), then ${restart}.`,
        `Wait until ${status} shows every remote cluster connected on every cluster before \`finish\`.`];
    case 'finished':
      return [`Once the \`cilium\` release has upgraded, ${status} shows every remote cluster connected; then do the revocation entry of the former CA.`];
  }
}

export const ciliumRotation: RootRotation = { ...ciliumRootRotation, waitSteps: ciliumRotationWaits };

export const ciliumReadme: MeshReadme<CiliumPki> = {
  rotation: (fleet, pki) => [
    `The fleet's Cilium CA is made for ${ciliumOf(fleet).ca.validityDays} days (\`spec.mesh.cilium.ca.validityDays\`); certgen renews the ClusterMesh and Hubble certificates it signs in each cluster (\`${CERT_RENEWAL_SCHEDULE}\`). ` +
      '`npm run check` warns before the CA ends. The CA itself is one for the whole fleet:',
    '',
    ...rootRotationSection(pki?.trust, fleet, ciliumRotation),
  ],
  upgrading: ciliumUpgrading,
  runbook: () => ({
    beforeBootstrap: '**Install Cilium** on each cluster with its values file ("Install Cilium first" below): Cilium is the CNI, so it runs before the GitOps engine can.',
    verify: '**Verify** ("Verify the ClusterMesh" below): every cluster sees the others, and the sample answers across them.',
  }),
  summary(fleet) {
    return `Cilium ${ciliumOf(fleet).version} ClusterMesh (Cilium as every cluster's CNI, one shared Cilium CA)`;
  },
  topology: (fleet) => [
    '```mermaid',
    'flowchart LR',
    ...fleet.clusters.flatMap((c) => [
      `  c${fleet.clusters.indexOf(c)}["${c.name}<br/>cluster.id ${ciliumClusterOf(c).clusterId} · pods ${ciliumClusterOf(c).podCIDR}"]`,
      `  a${fleet.clusters.indexOf(c)}[/"clustermesh-apiserver<br/>${endpoint(peerOf(c))}"/]`,
      `  c${fleet.clusters.indexOf(c)} --- a${fleet.clusters.indexOf(c)}`,
    ]),
    ...fleet.clusters.flatMap((a) => fleet.clusters.filter((b) => fleet.clusters.indexOf(a) < fleet.clusters.indexOf(b)).map((b) => `  c${fleet.clusters.indexOf(a)} <-- "pod traffic (VXLAN)" --> c${fleet.clusters.indexOf(b)}`)),
    '```',
    '',
    'Every cluster runs Cilium with its own `cluster.name` and `cluster.id` and a clustermesh-apiserver. Every cluster\'s agents read the ' +
      'state of all the others from their clustermesh-apiservers (mTLS with certificates from the one fleet CA, Secret `kube-system/cilium-ca`), ' +
      'and a Service annotated `service.cilium.io/global: "true"` balances over the pods of every cluster. Pod traffic goes node to node, ' +
      'so nodes must reach each other\'s InternalIPs and pod CIDRs never overlap.',
  ],
  clusterRows(plan: ClusterPlan, core: CoreRows, dist: string): [string, string][] {
    const c = plan.cluster;
    const m = ciliumClusterOf(c);
    const samples = [m.samples.userlist ? 'userlist' : undefined, m.samples.curl ? 'curltest' : undefined].filter(Boolean).join(', ');
    return [
      ['kubeconfig context', core.context],
      ['Cilium cluster', `\`${c.name}\`, cluster.id ${m.clusterId}`],
      ['API server', core.apiServer],
      ['CNI', `${core.cni} (installed by meshfleet)`],
      ['pod CIDR', `\`${m.podCIDR}\`${m.serviceCIDR ? `, Services \`${m.serviceCIDR}\`` : ''}`],
      ['clustermesh-apiserver', m.apiserverService === 'NodePort'
        ? `NodePort ${m.nodePort} on ${m.nodeAddresses.map((a) => `\`${a}\``).join(', ')}`
        : `LoadBalancer \`${c.gateway.address}:2379\``],
      ['add-ons', core.addOns],
      ['sample apps', plan.fleet.samples.enabled ? `${samples ? `${samples} (+ ` : '('}global Service \`${USERLIST_SERVICE}\`)` : 'disabled'],
      [core.gitopsPathLabel, core.gitopsPath],
      ['stages', core.stages],
      ['bootstrap values', `\`${dist}${valuesFilePath(c.name)}\``],
    ];
  },
  sections(fleet, pki, dist, engine) {
    const cilium = ciliumOf(fleet);
    const [first, second] = [fleet.clusters[0]!, fleet.clusters[1]];
    return [
      '## Install Cilium first',
      '',
      `Cilium is every cluster's CNI: without it no pod${engine.readme.inCluster ? `, ${engine.title}'s included,` : ''} gets a network. So each cluster starts without a CNI, ` +
        `gets Cilium from one \`helm install\` with the values meshfleet wrote, and only then is bootstrapped with ${engine.title}. ` +
        engine.readme.adoptsRelease(`${CILIUM_NAMESPACE}/${CILIUM_RELEASE}`),
      '',
      '1. Start every K3s server without its own CNI and network policy controller, with the cluster\'s pod (and Service) range from fleet.yaml. ' +
        'meshfleet keeps kube-proxy (it does not turn on Cilium\'s kube-proxy replacement), so do not pass `--disable-kube-proxy`. ' +
        'Where MetalLB gives out LoadBalancer addresses, also pass `--disable=servicelb`.',
      '',
      '```sh',
      ...fleet.clusters.map((c) => {
        const m = ciliumClusterOf(c);
        return `# ${c.name}\ncurl -sfL https://get.k3s.io | INSTALL_K3S_EXEC="server --flannel-backend=none --disable-network-policy --cluster-cidr=${m.podCIDR}${m.serviceCIDR ? ` --service-cidr=${m.serviceCIDR}` : ''}" sh -`;
      }),
      '```',
      '',
      '2. Put the fleet\'s Cilium CA into each cluster, then install Cilium. The CA Secret comes first: the chart\'s certgen Job signs the ' +
        'clustermesh and Hubble certificates with `cilium-ca` when it exists and would make a CA of its own otherwise. Decrypting needs an operator ' +
        'key; the Secret is applied with ' + `${engine.title}'s field manager (\`${engine.readme.fieldManager}\`) so that ${engine.title} takes it over without a conflict.`,
      '',
      '```sh',
      'export SOPS_AGE_KEY_FILE=<operator key file>',
      // spec.registries.charts: the chart from the mirror (an OCI reference, or --repo for a Helm repository).
      ...(fleet.clusters.some((c) => !c.registries.charts) ? [`helm repo add ${CILIUM_HELM_REPOSITORY} ${cilium.chartRepository} && helm repo update ${CILIUM_HELM_REPOSITORY}`] : []),
      ...fleet.clusters.flatMap((c) => [
        `sops --decrypt ${dist}manifests/${c.name}/infrastructure/${CA_SECRET_FILE} | kubectl --context ${shellWord(c.context)} apply --server-side --field-manager=${engine.readme.fieldManager} -f -`,
        `helm install ${CILIUM_RELEASE} ${chartRef(c.registries.charts)} --kube-context ${shellWord(c.context)} --namespace ${CILIUM_NAMESPACE} --version ${cilium.version} -f ${dist}${valuesFilePath(c.name)}`,
        `cilium status --context ${shellWord(c.context)} --wait`,
      ]),
      '```',
      '',
      `Cilium CA: ${caSummary(pki)}. Its key is in \`pki/\` and in each cluster's \`infrastructure\` stage, only SOPS-encrypted.`,
      '',
      '## Verify the ClusterMesh',
      '',
      '```sh',
      ...fleet.clusters.flatMap((c) => [`cilium status --context ${shellWord(c.context)}`, `cilium clustermesh status --context ${shellWord(c.context)} --wait`]),
      '```',
      '',
      `Every cluster should list the ${fleet.clusters.length - 1} other cluster(s) as connected.`,
      '',
      ...(second ? [
        'Cilium\'s own end-to-end check (it deploys test workloads into namespace `cilium-test`):',
        '',
        '```sh',
        `cilium connectivity test --context ${shellWord(first.context)} --multi-cluster ${shellWord(second.context)}`,
        '```',
        '',
      ] : []),
      `Then, with \`spec.samples.enabled\`, call the global Service from a curltest pod (affinity \`${cilium.affinity}\`): ${AFFINITY_ANSWERS[cilium.affinity]} ` +
        'The service list shows which backends each cluster prefers:',
      '',
      '```sh',
      ...fleet.clusters.filter((c) => ciliumClusterOf(c).samples.curl).map((c) =>
        `kubectl --context ${shellWord(c.context)} -n ${SONG_NAMESPACE} exec -it deploy/curltest -- sh -c 'while true; do curl -sS ${USERLIST_SERVICE}.${SONG_NAMESPACE}.svc:80/users/1; sleep 1; echo; done'`),
      ...fleet.clusters.map((c) => `kubectl --context ${shellWord(c.context)} -n ${CILIUM_NAMESPACE} exec ds/cilium -- cilium service list --clustermesh-affinity`),
      '```',
      '',
      'The service list shows the backends of every cluster; with affinity `local` or `remote` the preferred ones are marked `(preferred)`. ' +
        `Change the affinity with \`spec.samples.affinity\` in fleet.yaml, not with \`kubectl annotate\` (${engine.title} would revert it).`,
      '',
    ];
  },
  stageSummaries: (engine) => ({
    infrastructure: `Cilium (the CNI, with ClusterMesh) as the ${engine.readme.chartObject} that takes over the bootstrap install, its CA Secret \`cilium-ca\` (SOPS-encrypted, applied before the chart), and other add-ons`,
    apps: 'the userlist sample: namespace `song`, the global Service `userlist-svc`, `userlist` and `curltest` where placed',
  }),
  firewall: (fleet) => [
    '| from | to | port | why |',
    '|---|---|---|---|',
    ...fleet.clusters.map((c) => {
      const p = peerOf(c);
      return `| every other cluster's nodes | ${c.name}: ${p.address ?? p.ips!.join(', ')} | ${p.port}/TCP | clustermesh-apiserver (etcd, mTLS) |`;
    }),
    '| every node | every node of the other clusters | 8472/UDP | VXLAN pod traffic (Cilium\'s default tunnel) |',
    '| every node | every node of the other clusters | 4240/TCP, ICMP echo | Cilium health checks |',
    '',
    'Nodes reach each other\'s InternalIPs directly (same network, peering or VPN): ClusterMesh does not go through a gateway.',
  ],
  afterBootstrap: (_fleet, _dist, engine) => [
    `${engine} then adopts the \`${CILIUM_RELEASE}\` release (a \`helm upgrade\` with the same values, so nothing changes) and applies the stages above. ` +
      'Upgrade Cilium or add a cluster in fleet.yaml from now on, never with `helm` or `cilium clustermesh connect` by hand.',
  ],
};

/** How `helm install` names the cilium chart: from the cluster's chart mirror, else the added repository. */
function chartRef(mirror: string | undefined): string {
  if (!mirror) return `${CILIUM_HELM_REPOSITORY}/cilium`;
  return mirror.startsWith('oci://') ? shellWord(`${mirror}/cilium`) : `cilium ${shellFlag('--repo', mirror)}`;
}
