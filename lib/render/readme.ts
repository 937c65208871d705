/**
 * dist/README.md: what this fleet deploys, drawn from the same plan as the manifests so it cannot
 * drift. The skeleton is here; the mesh module writes the topology, the cluster rows it owns, its
 * sections and the firewall, the GitOps engine the bootstrap, and each add-on its phrase.
 */
import type { AddOn } from '../addons/types';
import type { Cluster, Fleet } from '../fleet/types';
import { STAGES } from '../gitops/stages';
import type { GitOpsEngine } from '../gitops/types';
import type { MeshModule } from '../mesh/types';
import type { ClusterPlan } from '../plan';
import { README_MARKER } from './yaml';


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
  const out: string[] = [
    README_MARKER,
    `# Fleet \`${fleet.name}\``,
    '',
    `${mesh.readme.summary(fleet)}, ${count} cluster${count === 1 ? '' : 's'}, applied by ${engine.title} from ` +
      `\`${fleet.gitops.repoURL}\` (branch \`${fleet.gitops.branch}\`).`,
    '',
    ...(input.notices ?? []),
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
    '## Bootstrap',
    '',
    ...engine.readme.bootstrap(fleet, dist),
    '',
    ...mesh.readme.afterBootstrap(fleet, dist, engine.title),
    '',
  );
  return out.join('\n');
}

function addOnSummary(addons: readonly AddOn[], cluster: Cluster): string {
  const parts = addons.map((a) => a.summary(cluster)).filter((s): s is string => s !== undefined);
  return parts.length > 0 ? parts.join('; ') : 'none';
}
