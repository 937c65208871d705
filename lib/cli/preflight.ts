/** `preflight`: before the first synth is applied, what fleet.yaml assumes of each cluster against what the cluster says. */
import { readFileSync } from 'node:fs';
import { loadFleetWithModules } from '../pipeline';
import { preflight, type PreflightLine } from '../pipeline/preflight';
import { paths } from '../pipeline/workspace';
import { json, noArguments, wantsJson, type Command } from './command';

export const preflightCommand: Command = {
  name: 'preflight',
  flags: ['fleet', 'output'],
  help: `Usage: npm run preflight -- [--fleet <file>] [-o json]

Before the first synth is applied: reads each cluster through its kubeconfig
context (kubectl, or KUBECTL; get and version calls only, nothing changes)
and compares it with what fleet.yaml assumes, one line per check with ok,
warn or fail and, for warn and fail, the fix after "— fix:":

  reach         kubectl reaches the context
  kubernetes    the server's minor is kubernetesVersion, and inside the mesh
                release's supported Kubernetes range where one is known
  cni           Cilium runs exactly where cni: cilium says (and as
                cilium.managed says: the provider's, or your Helm release)
  loadbalancer  something assigns the gateway's LoadBalancer address
                (MetalLB from fleet.yaml or already running, or a cloud
                provider: nodes with spec.providerID)
  metallb       a MetalLB meshfleet installs does not meet another one; one
                fleet.yaml says runs does, at metallb.version
  mesh          no control plane of another origin or mesh type collides
                with the one fleet.yaml installs

Exit 1 if a check fails (or kubectl is missing), else 0.

  -o, --output json  the checks as one JSON document on stdout
  --fleet <file>   the fleet description                       (default: fleet.yaml)
  --debug          on failure, also print the stack trace
  -h, --help       show this help`,
  async run(args, options, { out, err }) {
    noArguments('preflight', args);
    const asJson = wantsJson('preflight', options);
    const { fleet, modules, warnings } = loadFleetWithModules(readFileSync(paths(options).fleetPath, 'utf8'), options.fleet);
    for (const w of warnings) err(`warning: ${w}`);
    const lines = preflight(fleet, modules, process.env.KUBECTL ?? 'kubectl');
    const failed = lines.some((l) => l.status === 'fail');
    if (asJson) out(json({ passed: !failed, checks: lines }));
    else out(report(lines, fleet.clusters.length));
    return failed ? 1 : 0;
  },
};

/** The text report: one line per check (a warn or fail ending in its fix), a count at the end. */
function report(lines: readonly PreflightLine[], clusters: number): string {
  const width = Math.max(...lines.map((l) => l.cluster.length));
  const count = (s: string): number => lines.filter((l) => l.status === s).length;
  return [
    ...lines.map((l) => `${l.cluster.padEnd(width)}  ${l.status.padEnd(4)}  ${l.check}: ${l.message}${l.fix ? ` — fix: ${l.fix}` : ''}`),
    `preflight ${count('fail') > 0 ? 'failed' : 'passed'}: ${clusters} cluster(s), ${count('ok')} ok, ${count('warn')} warn, ${count('fail')} fail`,
  ].join('\n');
}
