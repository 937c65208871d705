/**
 * An unpacked chart folder (`helm pull --untar`, e.g. ../shared/upstream/helm-charts/<chart>-<version>/)
 * read into what lib/helm/keys.ts needs: name, version, defaults and values schema.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDefaults } from './keys';

export interface ChartInfo {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  /** Chart.yaml's kubeVersion: the Kubernetes versions Helm installs the chart on (e.g. ">= 1.21.0-0"). */
  readonly kubeVersion?: string;
  /** values.yaml with Istio's `_internal_defaults_do_not_set` folded in and subchart defaults under their names. */
  readonly defaults: Record<string, unknown>;
  /** values.schema.json, if the chart ships one. */
  readonly schema?: unknown;
}

interface ChartYaml {
  name: string;
  version: string;
  kubeVersion?: string;
  dependencies?: { name: string; alias?: string }[];
}

export function readChart(dir: string): ChartInfo {
  const meta = parse(readFileSync(join(dir, 'Chart.yaml'), 'utf8')) as ChartYaml;
  // Chart apiVersion v1 lists dependencies in requirements.yaml.
  const requirements = join(dir, 'requirements.yaml');
  const deps = meta.dependencies ?? (existsSync(requirements) ? (parse(readFileSync(requirements, 'utf8')) as { dependencies?: ChartYaml['dependencies'] }).dependencies ?? [] : []);
  const subcharts: Record<string, unknown> = {};
  for (const dep of deps) {
    const values = join(dir, 'charts', dep.name, 'values.yaml');
    if (existsSync(values)) subcharts[dep.alias ?? dep.name] = chartDefaults(parse(readFileSync(values, 'utf8')));
  }
  const schemaFile = join(dir, 'values.schema.json');
  return {
    dir,
    name: meta.name,
    version: String(meta.version),
    ...(meta.kubeVersion ? { kubeVersion: String(meta.kubeVersion) } : {}),
    defaults: chartDefaults(parse(readFileSync(join(dir, 'values.yaml'), 'utf8')) ?? {}, subcharts),
    ...(existsSync(schemaFile) ? { schema: JSON.parse(readFileSync(schemaFile, 'utf8')) as unknown } : {}),
  };
}

/** The folder of `<chart>-<version>` below `chartsDir`, or undefined when it is not there. */
export function chartDir(chartsDir: string, chart: string, version: string): string | undefined {
  const dir = join(chartsDir, `${chart}-${version}`);
  return existsSync(join(dir, 'Chart.yaml')) ? dir : undefined;
}
