/**
 * `helm-template <cluster> [release]`: what Helm renders for one release of a cluster, or for all of
 * them, read from the rendered fleet the way its GitOps engine installs them.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ArgumentError, argumentError, FleetError, UsageError } from '../errors';
import { HELM_NOT_FOUND, KUBE_VERSION, templateRelease } from '../helm/template';
import { loadFleet, modulesOf, renderFleet, SchemaError } from '../pipeline';
import { findTool } from '../tools/binaries';

const USAGE = 'usage: npm run helm-template -- <cluster> [release] [--fleet fleet.yaml] [--charts <dir>] [--kube-version 1.32.0]';

/**
 * `npm run helm-template -- <cluster> [release] [--fleet fleet.yaml] [--charts <dir>]`: prints what
 * Helm renders for one release of a cluster, or for all of them. Returns the exit code; errors are
 * one line on `err`.
 */
export async function helmTemplateCommand(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
  err: (s: string) => void = console.error,
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          fleet: { type: 'string', default: 'fleet.yaml' },
          charts: { type: 'string' },
          'kube-version': { type: 'string', default: KUBE_VERSION },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (e) {
      throw argumentError(e as Error, argv, 'helm-template', ['fleet', 'charts', 'kube-version', 'help']);
    }
    const { values: opts, positionals } = parsed;
    if (opts.help) {
      out(`${USAGE}\n`);
      return 0;
    }
    if (positionals.length < 1 || positionals.length > 2) throw new ArgumentError(positionals.length < 1 ? 'helm-template needs a cluster name' : `too many arguments (${JSON.stringify(positionals[2])})`);
    const [cluster, releaseName] = positionals as [string, string | undefined];

    let text: string;
    try {
      text = readText(opts.fleet!);
    } catch {
      throw new UsageError(`cannot read ${opts.fleet}`);
    }
    const fleet = loadFleet(text, opts.fleet);
    const { objects, emitted } = renderFleet(fleet, { repoPath: 'dist' });
    const objs = objects.get(cluster);
    if (!objs) throw new UsageError(`unknown cluster "${cluster}"; ${opts.fleet} has: ${[...objects.keys()].join(', ')}`);
    // What a cluster is given: its stages' objects and the engine's delivery objects for it (Flux
    // HelmReleases are in the stages, Argo CD's Helm Applications among the delivery objects).
    const given = [...objs, ...emitted.filter((e) => e.path.startsWith(`clusters/${cluster}/`)).map((e) => e.object)];
    const { engine } = modulesOf(fleet);
    const releases = given.flatMap((o) => engine.releaseOf(o, given) ?? []).map((ref) => ({ ref }));
    const chosen = releaseName === undefined ? releases : releases.filter((r) => r.ref.name === releaseName);
    if (chosen.length === 0) {
      throw new UsageError(releaseName === undefined
        ? `cluster "${cluster}" has no HelmRelease`
        : `cluster "${cluster}" has no HelmRelease "${releaseName}"; it has: ${releases.map((r) => r.ref.name).join(', ') || 'none'}`);
    }
    const helm = findTool('helm');
    if (!helm) throw new UsageError(HELM_NOT_FOUND);

    // Rendered side by side (a cluster has a handful of releases), printed in file order.
    const results = await Promise.all(chosen.map(({ ref }) => templateRelease(helm, ref, {
      ...(opts.charts !== undefined ? { chartsDir: opts.charts } : {}),
      kubeVersion: opts['kube-version']!,
    })));
    for (const [i, { ref }] of chosen.entries()) {
      const result = results[i]!;
      if (result.code !== 0) {
        const reason = result.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${result.code}`;
        throw new UsageError(`helm template ${ref.releaseName} (chart ${ref.chart} ${ref.version}) failed: ${reason}`);
      }
      out(`# ${cluster}: ${ref.kind ?? 'HelmRelease'} ${ref.namespace}/${ref.name}, chart ${ref.chart} ${ref.version}\n`);
      out(result.stdout.endsWith('\n') ? result.stdout : `${result.stdout}\n`);
    }
    return 0;
  } catch (e) {
    // A wrong command line: exit 2 with the usage, as every meshfleet command.
    if (e instanceof ArgumentError) {
      err(`error: ${e.message}\n${USAGE}`);
      return 2;
    }
    if (e instanceof FleetError || e instanceof UsageError || e instanceof SchemaError) {
      err(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
