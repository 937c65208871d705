/**
 * `helm template` for a rendered HelmRelease, the way Flux's helm-controller installs it: the
 * release name, namespace, chart, pinned version and values of the HelmRelease, and the chart from
 * its HelmRepository (or, offline, from a folder of unpacked `<chart>-<version>/` charts).
 *
 * Used by `npm run helm-template` (scripts/helm-template.ts) and by the Helm tests (test/helm/).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ArgumentError, argumentError, FleetError, UsageError } from '../errors';
import { loadFleet, renderFleet, SchemaError } from '../pipeline';
import type { KubeObject } from '../kube';
import { findTool } from '../tools/binaries';
import { chartDir } from './chart';

/** The Kubernetes version every render assumes, as the schemas in imports/ do. */
export const KUBE_VERSION = '1.32.0';

export const HELM_NOT_FOUND = 'helm not found: run npm ci (it installs the pinned helm) or put helm on PATH';

/** What `helm template` needs from a HelmRelease (and its HelmRepository). */
export interface ReleaseRef {
  /** HelmRelease metadata.name. */
  readonly name: string;
  readonly releaseName: string;
  /** Where the chart's objects go: spec.targetNamespace, else the HelmRelease's namespace. */
  readonly namespace: string;
  readonly chart: string;
  readonly version: string;
  readonly values: Record<string, unknown>;
  /** HelmRepository namespace/name from spec.chart.spec.sourceRef (Argo CD: the repository's name as features call it). */
  readonly repository: { readonly name: string; readonly namespace: string };
  /** The chart repository URL, when the object names it itself (an Argo CD Application's Helm source). */
  readonly url?: string;
  /** What installs it: "HelmRelease" (default) or "Application". */
  readonly kind?: string;
}

interface HelmReleaseSpec {
  releaseName?: string;
  targetNamespace?: string;
  values?: Record<string, unknown>;
  chart: { spec: { chart: string; version?: string; sourceRef: { kind: string; name: string; namespace?: string } } };
}

export function isHelmRelease(obj: KubeObject): boolean {
  return obj.kind === 'HelmRelease' && obj.apiVersion.startsWith('helm.toolkit.fluxcd.io/');
}

export function releaseRef(obj: KubeObject): ReleaseRef {
  const spec = obj.spec as HelmReleaseSpec;
  const ns = obj.metadata?.namespace ?? 'default';
  const name = obj.metadata?.name ?? '';
  const chart = spec.chart.spec;
  if (!chart.version) throw new UsageError(`HelmRelease ${ns}/${name} pins no chart version`);
  return {
    name,
    // Flux's default release name is [<targetNamespace>-]<name>.
    releaseName: spec.releaseName ?? (spec.targetNamespace ? `${spec.targetNamespace}-${name}` : name),
    namespace: spec.targetNamespace ?? ns,
    chart: chart.chart,
    version: chart.version,
    values: spec.values ?? {},
    repository: { name: chart.sourceRef.name, namespace: chart.sourceRef.namespace ?? ns },
  };
}

interface ApplicationHelmSource {
  repoURL: string;
  chart?: string;
  targetRevision?: string;
  helm?: { releaseName?: string; valuesObject?: Record<string, unknown> };
}

/** An Argo CD Application whose source is a Helm chart. */
export function isHelmApplication(obj: KubeObject): boolean {
  return obj.kind === 'Application' && obj.apiVersion.startsWith('argoproj.io/')
    && typeof (obj.spec as { source?: ApplicationHelmSource } | undefined)?.source?.chart === 'string';
}

/** What `helm template` needs from an Argo CD Application's Helm source, the way Argo CD's repo-server renders it. */
export function applicationReleaseRef(obj: KubeObject): ReleaseRef {
  const spec = obj.spec as { source: ApplicationHelmSource; destination: { namespace?: string } };
  const name = obj.metadata?.name ?? '';
  const { source } = spec;
  if (!source.targetRevision) throw new UsageError(`Application ${name} pins no chart version (targetRevision)`);
  const releaseName = source.helm?.releaseName ?? name;
  return {
    name: releaseName,
    releaseName,
    namespace: spec.destination.namespace ?? 'default',
    chart: source.chart!,
    version: source.targetRevision,
    values: source.helm?.valuesObject ?? {},
    repository: { name: obj.metadata?.labels?.['meshfleet.io/helm-repository'] ?? source.repoURL, namespace: obj.metadata?.namespace ?? 'argocd' },
    // Argo CD writes an OCI Helm repository without its scheme; helm needs it.
    url: /^[a-z]+:\/\//.test(source.repoURL) ? source.repoURL : `oci://${source.repoURL}`,
    kind: 'Application',
  };
}

/** The HelmRepository a release's chart comes from, among one cluster's objects. */
export function repositoryOf(release: ReleaseRef, objects: readonly KubeObject[]): KubeObject | undefined {
  return objects.find((o) => o.kind === 'HelmRepository'
    && o.metadata?.name === release.repository.name && (o.metadata?.namespace ?? 'default') === release.repository.namespace);
}

export interface TemplateOptions {
  /** A folder of unpacked `<chart>-<version>/` charts: render offline from there. */
  readonly chartsDir?: string;
  /** The HelmRepository object: used when chartsDir is not given. */
  readonly repository?: KubeObject;
  readonly kubeVersion?: string;
  /** Also print the chart's crds/ folder (Flux installs them). */
  readonly includeCrds?: boolean;
}

/** The arguments after `helm` for `helm template`, with values read from `valuesFile`. */
export function helmTemplateArgs(release: ReleaseRef, valuesFile: string, options: TemplateOptions): string[] {
  const common = ['--namespace', release.namespace, '--kube-version', options.kubeVersion ?? KUBE_VERSION, '-f', valuesFile,
    ...(options.includeCrds ? ['--include-crds'] : [])];
  if (options.chartsDir !== undefined) {
    const dir = chartDir(options.chartsDir, release.chart, release.version);
    if (!dir) throw new UsageError(`chart ${release.chart} ${release.version} not found: no ${release.chart}-${release.version}/ in ${options.chartsDir}`);
    return ['template', release.releaseName, dir, ...common];
  }
  const url = release.url ?? (options.repository?.spec as { url?: string } | undefined)?.url;
  if (!url) throw new UsageError(`HelmRelease ${release.namespace}/${release.name}: HelmRepository ${release.repository.namespace}/${release.repository.name} not found`);
  if (url.startsWith('oci://')) {
    return ['template', release.releaseName, `${url.replace(/\/$/, '')}/${release.chart}`, '--version', release.version, ...common];
  }
  return ['template', release.releaseName, release.chart, '--repo', url, '--version', release.version, ...common];
}

export interface HelmResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs helm without a shell; never rejects for a non-zero exit. */
export function runHelm(helm: string, args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolveResult, reject) => {
    execFile(helm, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(error.code === 'ENOENT' ? new UsageError(HELM_NOT_FOUND) : error);
        return;
      }
      resolveResult({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** `helm template` for one release: the values go through a temp file that is removed afterwards. */
export async function templateRelease(helm: string, release: ReleaseRef, options: TemplateOptions): Promise<HelmResult> {
  const dir = mkdtempSync(join(tmpdir(), 'meshfleet-helm-'));
  try {
    const values = join(dir, 'values.json');
    writeFileSync(values, JSON.stringify(release.values));
    return await runHelm(helm, helmTemplateArgs(release, values, options));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
    const { objects, emitted } = renderFleet(loadFleet(text, opts.fleet), { repoPath: 'dist' });
    const objs = objects.get(cluster);
    if (!objs) throw new UsageError(`unknown cluster "${cluster}"; ${opts.fleet} has: ${[...objects.keys()].join(', ')}`);
    // Flux HelmReleases are in the cluster's stages; Argo CD's Helm Applications are delivery objects.
    const delivery = emitted.filter((e) => e.path.startsWith(`clusters/${cluster}/`)).map((e) => e.object);
    const releases = [
      ...objs.filter(isHelmRelease).map((o) => ({ obj: o, ref: releaseRef(o) })),
      ...delivery.filter(isHelmApplication).map((o) => ({ obj: o, ref: applicationReleaseRef(o) })),
    ];
    const chosen = releaseName === undefined ? releases : releases.filter((r) => r.ref.name === releaseName);
    if (chosen.length === 0) {
      throw new UsageError(releaseName === undefined
        ? `cluster "${cluster}" has no HelmRelease`
        : `cluster "${cluster}" has no HelmRelease "${releaseName}"; it has: ${releases.map((r) => r.ref.name).join(', ') || 'none'}`);
    }
    const helm = findTool('helm');
    if (!helm) throw new UsageError(HELM_NOT_FOUND);

    // Rendered side by side (a cluster has a handful of releases), printed in file order.
    const results = await Promise.all(chosen.map(({ ref }) => {
      const repository = repositoryOf(ref, objs);
      return templateRelease(helm, ref, {
        ...(opts.charts !== undefined ? { chartsDir: opts.charts } : {}),
        ...(repository ? { repository } : {}),
        kubeVersion: opts['kube-version']!,
      });
    }));
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
