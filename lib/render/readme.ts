/**
 * dist/README.md: what this fleet deploys, drawn from the same plan as the manifests so it cannot
 * drift. The skeleton is here; the mesh module writes the topology, the cluster rows it owns, its
 * sections and the firewall, the GitOps engine the bootstrap, and each add-on its phrase.
 */
import type { AddOn } from '../contracts/addon';
import { isForwarded, type Cluster, type Fleet } from '../fleet/types';
import { STAGES } from '../contracts/stages';
import type { GitOpsEngine } from '../contracts/engine';
import type { MeshModule, MeshRunbook } from '../contracts/mesh';
import type { ClusterPlan } from '../contracts/plan';
import { README_MARKER } from '../format/yaml';


export interface ReadmeInput {
  readonly fleet: Fleet;
  readonly plans: readonly ClusterPlan[];
  readonly mesh: MeshModule;
  readonly engine: GitOpsEngine;
  readonly addons: readonly AddOn[];
  readonly pki: unknown;
  /** Where dist/ sits in the repository, POSIX ("" at the root). */
  readonly repoPath: string;
  /** Sections shown right after the summary while they apply (pending revocations). */
  readonly notices?: readonly string[];
}

export function renderReadme(input: ReadmeInput): string {
  const { fleet, mesh, engine } = input;
  const dist = input.repoPath ? `${input.repoPath}/` : '';
  const count = fleet.clusters.length;
  const steps = mesh.readme.runbook?.(fleet) ?? {};
  const out: string[] = [
    README_MARKER,
    `# Fleet \`${fleet.name}\``,
    '',
    `${mesh.readme.summary(fleet)}, ${count} cluster${count === 1 ? '' : 's'}, applied by ${engine.title} from ` +
      `\`${fleet.gitops.repoURL}\` (branch \`${fleet.gitops.branch}\`).`,
    '',
    ...(input.notices ?? []),
    ...runbook(input, steps, dist),
    '## Topology',
    '',
    ...mesh.readme.topology(fleet),
    '',
    '## Clusters',
    '',
  ];
  for (const plan of input.plans) {
    const c = plan.cluster;
    const rows = mesh.readme.clusterRows(plan, {
      context: `\`${c.context}\``,
      apiServer: c.apiServer,
      cni: c.cni,
      addOns: addOnSummary(input.addons, c),
      gitopsPathLabel: `${engine.title} path`,
      gitopsPath: `\`${dist}${engine.readme.clusterPath(c.name)}\``,
      stages: plan.stages().map((s) => `\`${s.name}\``).join(' → '),
    }, dist);
    out.push(`### ${c.name}`, '', '| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '');
  }
  out.push(
    ...mesh.readme.sections(fleet, input.pki, dist, engine),
    '## Stages',
    '',
    engine.readme.stagesIntro,
    '',
    '| stage | what it applies |',
    '|---|---|',
    ...STAGES.map((s) => `| \`${s.name}\` | ${mesh.readme.stageSummaries(engine)[s.name] ?? s.summary} |`),
    '',
    '## Firewall',
    '',
    ...mesh.readme.firewall(fleet),
    '',
    ...(mesh.noGateway ? [] : forwarding(fleet)),
    '## Bootstrap',
    '',
    // The bootstrap commands in the runbook's order (a primary before its remotes).
    ...engine.readme.bootstrap(inOrder(fleet, steps.order), dist),
    '',
    ...mesh.readme.afterBootstrap(fleet, dist, engine.title),
    '',
    ...(mesh.readme.rotation ? ['## Rotating certificates', '', ...mesh.readme.rotation(fleet, input.pki), ''] : []),
    ...(mesh.readme.upgrading ? ['## Upgrading', '', ...mesh.readme.upgrading(fleet), ''] : []),
  );
  return out.join('\n');
}

/** The fleet with its clusters in the order the mesh bootstraps them (`order`: names; undefined: as they are). */
function inOrder(fleet: Fleet, order: readonly string[] | undefined): Fleet {
  return order ? { ...fleet, clusters: order.map((n) => fleet.clusters.find((c) => c.name === n)!) } : fleet;
}

/**
 * The runbook: what to do, in the order to do it, each step pointing at the section with the
 * details below. The mesh adds its steps (a CNI first, links, how to verify), the engine its bootstrap.
 */
function runbook(input: ReadmeInput, steps: MeshRunbook, dist: string): string[] {
  const { fleet, mesh, engine, addons } = input;
  const order = steps.order ?? fleet.clusters.map((c) => c.name);
  // What gives each cluster's LoadBalancer Services an address: an add-on that assigns them (its
  // own summary says how), else a NodePort gateway needs none, else the cloud's load balancer.
  const lb = fleet.clusters.map((c) => `${c.name}: ${addOnSummary(addons.filter((a) => a.assignsGatewayAddress?.(c)), c, '')
    || (c.gateway.serviceType === 'NodePort' ? 'none needed, its gateway is a NodePort behind a NAT' : 'a cloud load balancer')}`);
  const items = [
    '**Before you start**: `npm run preflight` checks what fleet.yaml assumes against each cluster (Kubernetes version, CNI, LoadBalancer addresses, an existing MetalLB or mesh); open the rows of "Firewall" between the clusters; have each cluster\'s kubeconfig context (the Clusters tables name them); ' +
      'make sure each API server\'s certificate holds the address fleet.yaml\'s `apiServer` names (the other clusters dial it)' +
      (mesh.noGateway ? '' : `; give LoadBalancer Services an address (${lb.join('; ')})`) +
      (fleet.clusters.some((c) => c.registries.images) ? `; mirror every image into ${[...new Set(fleet.clusters.map((c) => c.registries.images ?? 'the public registries'))].map((r) => `\`${r}\``).join(', ')} first (spec.registries)`
        : '; where the clusters cannot pull from the public registries, set `spec.registries` in fleet.yaml and mirror the images there first') + '.',
    `**Commit and push** \`${dist || './'}\`, \`pki/\` and \`.sops.yaml\`: ${engine.title} reads them from \`${fleet.gitops.repoURL}\` (branch \`${fleet.gitops.branch}\`).`,
    ...(steps.beforeBootstrap ? [steps.beforeBootstrap] : []),
    engine.readme.runbookBootstrap(order),
    `**Wait** until every stage of every cluster is Ready (\`${engine.readme.readyCommand(fleet.clusters.find((c) => c.name === order[0]) ?? fleet.clusters[0]!)}\`, and the same per cluster; "Stages" below).`,
    ...(steps.afterReady ? [steps.afterReady] : []),
    steps.verify ?? '**Check** each cluster\'s workloads with `kubectl get pods -A`.',
    ...(mesh.readme.upgrading ? ['**Later, upgrading** the mesh: one supported step per pull request, with the checks before and after ("Upgrading" below).'] : []),
  ];
  return ['## Runbook', '', ...items.map((s, i) => `${i}. ${s}`), ''];
}

/**
 * Where a cluster's gateway Service gets one address (gateway.serviceAddress, from its MetalLB pool)
 * and the other clusters dial another (gateway.address: a floating IP, a NAT): the forwarding
 * between them is the operator's, before anything dials it (seed 004 §3.5).
 */
function forwarding(fleet: Fleet): string[] {
  const forwarded = fleet.clusters.filter((c) => isForwarded(c.gateway));
  if (forwarded.length === 0) return [];
  return [
    '## Forward the gateway addresses',
    '',
    'These gateways\' Services get a private address from their MetalLB pool, and the other clusters dial another one. ' +
      'Before the bootstrap, make each dialled address forward to its Service address, on every port the Firewall section lists for that gateway:',
    '',
    '| cluster | the other clusters dial (`gateway.address`) | forwarded to the Service at (`gateway.serviceAddress`) |',
    '|---|---|---|',
    ...forwarded.map((c) => `| ${c.name} | \`${c.gateway.address}\` | \`${c.gateway.serviceAddress}\` |`),
    '',
    '- **A floating IP** (NHN Cloud, Ncloud, OpenStack K-PaaS): create a port (interface) with the Service address on the nodes\' subnet, ' +
      'allow that address on the nodes\' own ports (allowed address pairs), and associate the floating IP with the new port. ' +
      'OpenStack: `openstack port create --network <subnet network> --fixed-ip ip-address=<service address> <name>`, then `openstack floating ip set --port <name> <dialled address>`.',
    '- **A Linux router or NAT host in front:** `sudo iptables -t nat -A PREROUTING -d <dialled address> -j DNAT --to-destination <service address>` (and make it survive a reboot).',
    '',
    'The other clusters dial the forwarded address itself (meshfleet writes it wherever they learn the gateway), ' +
      'so the seed guide\'s PREROUTING rule on every node of the peer clusters, which rewrote the private address to the floating one, is not needed.',
    '',
  ];
}

function addOnSummary(addons: readonly AddOn[], cluster: Cluster, none = 'none'): string {
  const parts = addons.map((a) => a.summary(cluster)).filter((s): s is string => s !== undefined);
  return parts.length > 0 ? parts.join('; ') : none;
}
