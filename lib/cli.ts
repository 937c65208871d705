/**
 * The `npm run synth` command line: load → plan → render → validate → write. Every check runs
 * before the first byte is written, so a failing synth leaves the output folder as it was.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { FleetError, UsageError } from './errors';
import { loadFleet } from './fleet/load';
import type { Fleet } from './fleet/types';
import { diffTree, writeTree } from './output/write';
import { renderFleet, SchemaError, type Rendered } from './render/render';
import { toYaml } from './render/yaml';

export const HELP = `Usage: npm run synth -- [options]

Renders fleet.yaml into per-cluster GitOps folders for Flux.

Options:
  --fleet <file>   the fleet description to render            (default: fleet.yaml)
  --out <dir>      the output folder, inside the git repository
                   Flux syncs                                  (default: dist)
  --check          render in memory and compare with --out; exit 1 and list
                   the files that differ instead of writing (for CI)
  -h, --help       show this help

Exit codes: 0 done (or, with --check, up to date); 1 invalid input, refused
output folder, or --check found drift. On exit 1 nothing on disk has changed.

The output folder holds exactly what fleet.yaml describes: files of clusters
that left the fleet are removed; clusters/<cluster>/flux-system/ (written by
\`flux bootstrap\`) is never written, removed or read.`;

export interface SynthOptions {
  readonly fleet: string;
  readonly out: string;
  readonly check: boolean;
}

export interface SynthResult {
  readonly fleet: Fleet;
  readonly rendered: Rendered;
  readonly message: string;
}

/** Parses argv; throws UsageError on unknown options. Returns undefined for --help. */
export function parseCli(argv: string[]): SynthOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        fleet: { type: 'string', default: 'fleet.yaml' },
        out: { type: 'string', default: 'dist' },
        check: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
  }
  if (parsed.values.help) return undefined;
  return { fleet: parsed.values.fleet!, out: parsed.values.out!, check: parsed.values.check! };
}

/** The whole synth; throws FleetError / UsageError / SchemaError, never exits. */
export function synth(options: SynthOptions): SynthResult {
  const fleetPath = resolve(options.fleet);
  if (!existsSync(fleetPath)) throw new UsageError(`fleet file not found: ${options.fleet} (pass --fleet <file>)`);
  const fleet = loadFleet(readFileSync(fleetPath, 'utf8'), options.fleet);
  const outDir = resolve(options.out);
  const rendered = renderFleet(fleet, { repoPath: repoPath(fleetPath, outDir) });

  if (options.check) {
    const { changed, stale } = diffTree(outDir, rendered.files);
    if (changed.length + stale.length > 0) {
      const list = [...changed.map((p) => `  changed: ${p}`), ...stale.map((p) => `  stale:   ${p}`)];
      throw new UsageError(`${options.out} is not what ${options.fleet} renders to (run \`npm run synth\` and commit the result):\n${list.join('\n')}`);
    }
    return { fleet, rendered, message: `${options.out} is up to date with ${options.fleet}` };
  }
  const result = writeTree(outDir, rendered.files);
  writeCdk8sOutput(rendered);
  const names = fleet.clusters.map((c) => c.name).join(', ');
  return {
    fleet,
    rendered,
    message: `rendered ${fleet.clusters.length} cluster(s) (${names}) into ${options.out}: ` +
      `${result.written.length} written, ${result.removed.length} removed, ${result.unchanged} unchanged`,
  };
}

/**
 * Kustomization paths are relative to the root of the git repository Flux syncs: the nearest
 * folder above the fleet file that holds .git, or the fleet file's folder outside git.
 */
export function repoPath(fleetPath: string, outDir: string): string {
  let root = dirname(fleetPath);
  for (let dir = root; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) {
      root = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  const rel = relative(root, outDir);
  if (rel.startsWith('..') || resolve(root, rel) !== outDir) {
    throw new UsageError(`--out ${outDir} must be inside the repository Flux syncs (${root}), because Flux paths are relative to its root`);
  }
  return rel.split(sep).join('/');
}

/** Under `cdk8s synth`, also leave one flattened <cluster>.k8s.yaml per cluster for its validation plugins. */
function writeCdk8sOutput(rendered: Rendered): void {
  const outdir = process.env.CDK8S_OUTDIR;
  if (!outdir) return;
  mkdirSync(outdir, { recursive: true });
  for (const [cluster, objs] of rendered.objects) {
    writeFileSync(join(outdir, `${cluster}.k8s.yaml`), objs.map(toYaml).join('---\n'));
  }
}

/** Runs the CLI and returns the exit code; all output goes through the given streams. */
export function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): number {
  try {
    const options = parseCli(argv);
    if (!options) {
      out(HELP);
      return 0;
    }
    out(synth(options).message);
    return 0;
  } catch (e) {
    if (e instanceof FleetError || e instanceof UsageError) {
      err(`error: ${e.message}\n\nNothing was written.`);
      return 1;
    }
    if (e instanceof SchemaError) {
      err(`error: ${e.message}\n\nThis is a bug in meshfleet or a value fleet.yaml passes through unchecked; please report it. Nothing was written.`);
      return 1;
    }
    throw e;
  }
}
