/** `synth`: renders fleet.yaml into the output folder (and, the first time, creates the CA store). */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { FleetError, PartlyWritten, UsageError } from '../errors';
import type { Fleet } from '../fleet/types';
import { posixPath } from '../format/paths';
import { someOf } from '../format/text';
import { toYaml } from '../format/yaml';
import { writeFilesAtomically, writeNewDir } from '../output/write';
import { prepare, pruneNotices, write } from '../pipeline';
import { clustersIn, driftLines, outTree, pendingLinks, placementMoves, sopsStale } from '../pipeline/drift';
import { upgradeFindings } from '../pipeline/upgrades';
import { DEFAULT_OUT, locked, paths, type WorkspaceOptions } from '../pipeline/workspace';
import { commitPkiChanges } from '../pki/transaction';
import type { Rendered } from '../render/render';
import { COMMON, noArguments, type Command } from './command';

export interface SynthOptions extends WorkspaceOptions {
  /** Render in memory and compare with --out instead of writing. */
  readonly check: boolean;
}

export interface SynthResult {
  readonly fleet: Fleet;
  readonly rendered: Rendered;
  readonly message: string;
  /** Printed on standard error before the message. */
  readonly warnings: readonly string[];
}

export const synthCommand: Command = {
  name: 'synth',
  flags: ['fleet', 'out', 'pki', 'check'],
  help: `Usage: npm run synth -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--check]

Renders fleet.yaml into per-cluster GitOps folders; creates the CA store on the
first run. Files of clusters that left the fleet are removed from the store;
files a former key can still read are re-encrypted (needs SOPS_AGE_KEY_FILE)
and what git cannot revoke is recorded in pki/revocations.yaml. With --check,
renders in memory and exits 1 when --out, .sops.yaml or the store differ from
what fleet.yaml renders to.

  --out <dir>      the output folder, inside the git repository (default: dist/
                   beside the fleet file)
  --check          compare instead of write (for CI)
${COMMON}`,
  async run(args, options, { out, err }) {
    noArguments('synth', args);
    const result = await (options.check ? synth(options) : locked(paths(options), 'npm run synth', err, () => synth(options)));
    for (const w of result.warnings) err(`warning: ${w}`);
    out(result.message);
    return 0;
  },
};

/** The whole synth; throws FleetError / UsageError / SchemaError, never exits. */
export async function synth(options: SynthOptions): Promise<SynthResult> {
  const x = await prepare(options, { inMemoryOnly: options.check });
  const { p, fleet, rendered, warnings, newPki, pkiLabel } = x;
  const pendingNote = pendingLinks(x.modules.mesh, fleet, x.pki);

  if (options.check) {
    const list = driftLines(outTree(p.outDir), rendered);
    if (sopsStale(x.sopsPath, x.sopsText)) list.push(`  changed: ${posixPath(relative(p.outDir, x.sopsPath))} (the sops rules beside fleet.yaml)`);
    if (list.length > 0) {
      throw new UsageError(`${options.out} is not what ${options.fleet} renders to (run \`npm run synth\` and commit the result); compared with the rendering, ${options.out} has:\n${list.join('\n')}`);
    }
    return { fleet, rendered, warnings, message: `${options.out} is up to date with ${options.fleet}${pendingNote}` };
  }
  // Said before anything is written: what the change makes Flux / Argo CD delete on live clusters.
  const onDisk = outTree(p.outDir);
  // Clusters the output folder had nothing of: what the user does next is bootstrap them.
  const before = clustersIn(onDisk);
  const fresh = fleet.clusters.map((c) => c.name).filter((name) => !before.has(name));
  // In-place upgrades one supported step at a time, against what the clusters run (the committed output).
  const upgrades = upgradeFindings(onDisk, rendered.files, x.modules, fleet);
  if (upgrades.problems.length > 0) {
    throw new FleetError(options.fleet, upgrades.problems.map((pr) => { const position = x.locate(pr.path); return position ? { ...pr, position } : pr; }));
  }
  const notices = [...upgrades.warnings, ...pruneNotices(onDisk, rendered.files, fleet), ...placementMoves(onDisk, rendered.files, fleet, x.modules.mesh)];
  // Each step is atomic on its own; when a later one fails (a full disk), the error says which
  // earlier ones are on disk. A CA store this synth made and nobody has seen yet is taken back.
  const written: string[] = [];
  const pkiFolderWas = newPki !== undefined && existsSync(p.pkiDir);
  let pkiCreated = false;
  let result: ReturnType<typeof write>;
  try {
    if (newPki) {
      writeNewDir(p.pkiDir, newPki);
      pkiCreated = true;
    }
    if (x.pkiChange) {
      commitPkiChanges(p.pkiDir, x.pkiChange.writes, x.pkiChange.deletes);
      written.push(`${pkiLabel}: ${x.pkiChange.writes.size} file(s) re-encrypted or recorded, ${x.pkiChange.deletes.length} removed (the change is complete: keep it)`);
    }
    result = write(p.outDir, rendered, onDisk);
    written.push(`${options.out}: the rendered output (complete)`);
    if (sopsStale(x.sopsPath, x.sopsText)) writeFilesAtomically(p.fleetDir, new Map([['.sops.yaml', x.sopsText]]));
    written.push('.sops.yaml');
    writeCdk8sOutput(rendered);
  } catch (e) {
    if (pkiCreated && written.length === 0) {
      try {
        rmSync(p.pkiDir, { recursive: true, force: true });
        if (pkiFolderWas) mkdirSync(p.pkiDir);
      } catch {
        written.unshift(`${pkiLabel}: the new CA store (${newPki!.size} files), which could not be taken back: delete it before the next synth, or commit it`);
      }
    } else if (pkiCreated) {
      written.unshift(`${pkiLabel}: the new CA store (${newPki!.size} files; commit it)`);
    }
    if (written.length > 0) throw new PartlyWritten(e, written);
    throw e;
  }
  const names = someOf(fleet.clusters.map((c) => c.name), 12);
  const elsewhere = x.modules.mesh.ca && p.outDir !== join(p.fleetDir, DEFAULT_OUT)
    ? `\n.sops.yaml describes ${DEFAULT_OUT}/ beside ${basename(p.fleetPath)} (the default output), not ${options.out}: the encrypted files in ${options.out} are byte-for-byte copies of ${pkiLabel}'s, which it covers` : '';
  return {
    fleet,
    rendered,
    warnings: [...warnings, ...notices],
    message: (x.recovered ? `note: ${x.recovered}\n` : '') + (newPki ? `created the CA store ${pkiLabel} (${newPki.size} files; keys SOPS-encrypted): commit it\n` : '') +
      (x.pkiChange ? `${x.pkiChange.report.join('\n')}\n` : '') +
      `rendered ${fleet.clusters.length} cluster(s) (${names}) into ${options.out}: ` +
      `${result.written.length} written, ${result.removed.length} removed, ${result.unchanged} unchanged${pendingNote}${elsewhere}` +
      (fresh.length > 0 ? `\nnext: commit and push, then bootstrap ${someOf(fresh, 8)} (${options.out}/README.md, "Runbook")` : ''),
  };
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
