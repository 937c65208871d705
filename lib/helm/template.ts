/**
 * `helm template` for a release as the fleet's GitOps engine reads it (GitOpsEngine.releaseOf: the
 * release name, namespace, chart, pinned version and values), with the chart from its repository
 * or, offline, from a folder of unpacked `<chart>-<version>/` charts.
 *
 * Used by `helm-template` (lib/cli/helm-template.ts) and by the Helm tests (test/helm/).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReleaseRef } from '../contracts/engine';
import { UsageError } from '../errors';
import { chartDir } from './chart';

/** The Kubernetes version every render assumes, as the schemas in imports/ do. */
export const KUBE_VERSION = '1.32.0';

export const HELM_NOT_FOUND = 'helm not found: run npm ci (it installs the pinned helm) or put helm on PATH';

export interface TemplateOptions {
  /** A folder of unpacked `<chart>-<version>/` charts: render offline from there. */
  readonly chartsDir?: string;
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
  const url = release.url;
  if (!url) throw new UsageError(`${release.kind ?? 'HelmRelease'} ${release.namespace}/${release.name}: chart repository ${release.repository.namespace}/${release.repository.name} not found`);
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

