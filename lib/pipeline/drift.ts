/**
 * What differs between what fleet.yaml renders to and what is committed: the output folder's
 * objects and files (synth --check, check), .sops.yaml, pending links, and the CA store's public
 * certificates at a git ref (diff).
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { MeshModule } from '../contracts/mesh';
import type { Tree } from '../contracts/tree';
import type { Fleet } from '../fleet/types';
import { someOf } from '../format/text';
import { TXN_DIR } from '../pki/transaction';
import type { Rendered } from '../render/render';
import { diffTrees } from '../review/diff';
import { objectId } from '../review/format';
import { readDiskTree, readGitTree, refExists } from '../review/tree';
import { engineOwned } from './index';

/** The output folder as on disk, the engines' own folders left out. */
export function outTree(outDir: string): Tree {
  return readDiskTree(outDir, (path) => !engineOwned(path));
}

/**
 * How the output folder deviates from what synth renders, one line per object (cluster/stage Kind
 * ns/name and its changed fields) and per other file, from the folder's side: an object or file
 * someone deleted from it is "removed", one synth would not write is "added". A file whose objects
 * are equal but whose bytes are not (edited comments or formatting) is "reformatted".
 */
export function driftLines(onDisk: Tree, rendered: Rendered): string[] {
  // The common case, byte-identical trees, needs no parsing (the object diff parses every file).
  if (onDisk.size === rendered.files.size && [...rendered.files].every(([path, text]) => onDisk.get(path) === text)) return [];
  const d = diffTrees({ old: rendered.files, new: onDisk });
  const lines = d.objects.map((o) => {
    const fields = o.fields.map((f) => f.path);
    return `  ${o.change.padEnd(8)} ${objectId(o.ref)}${fields.length > 0 ? `: ${someOf(fields, 4)}` : ''}`;
  });
  lines.push(...d.files.map((f) => `  ${f.change.padEnd(8)} ${f.path}`));
  const covered = new Set([...d.objects.map((o) => o.ref.path), ...d.files.map((f) => f.path)]);
  for (const [path, text] of rendered.files) {
    if (onDisk.has(path) && onDisk.get(path) !== text && !covered.has(path)) lines.push(`  reformatted ${path} (same objects, different bytes)`);
  }
  return lines;
}

/** Whether .sops.yaml on disk is not `text` (or missing). */
export const sopsStale = (path: string, text: string): boolean => !existsSync(path) || readFileSync(path, 'utf8') !== text;

/** The sentence about links still pending (npm run link), with a leading newline; empty when none are. */
export function pendingLinks(mesh: MeshModule, fleet: Fleet, pki: unknown): string {
  const pending = mesh.link?.status(fleet, pki).filter((l) => !l.linked) ?? [];
  return pending.length === 0 ? '' :
    `\n${pending.length} link(s) pending (${someOf(pending.map((l) => `${l.from}→${l.to}`), 8)}): ${mesh.link!.pendingHint}`;
}

export const isPem = (path: string): boolean => path.endsWith('.pem') && path.split('/')[0] !== TXN_DIR;

/** The CA store's public certificates at a git ref; undefined when it is outside the repository. */
export function pkiAt(root: string, ref: string, pkiDir: string): Tree | undefined {
  if (relative(root, pkiDir).startsWith('..') || !refExists(root, ref)) return undefined;
  return readGitTree(root, ref, pkiDir, isPem);
}

/** The clusters a rendered tree delivers to (its clusters/<cluster>/ folders). */
export function clustersIn(tree: Tree): Set<string> {
  const out = new Set<string>();
  for (const path of tree.keys()) {
    const m = /^clusters\/([^/]+)\//.exec(path);
    if (m) out.add(m[1]!);
  }
  return out;
}

/** Each cluster's sample Deployments in a tree (manifests/<cluster>/apps/deployment-<name>.yaml → name), in one pass. */
function sampleDeployments(tree: Tree): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const path of tree.keys()) {
    const m = /^manifests\/([^/]+)\/apps\/deployment-(.+)\.yaml$/.exec(path);
    if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
  }
  for (const list of out.values()) list.sort();
  return out;
}

/**
 * Sample apps that change cluster because clusters came or went: a cluster in both the old output
 * and the new whose sample Deployments differ, while the fleet's clusters changed. Unpinned
 * placement follows the sorted cluster names, so adding a cluster can move a sample elsewhere.
 */
export function placementMoves(old: Tree, next: Tree, fleet: Fleet, mesh: MeshModule): string[] {
  const before = clustersIn(old);
  const now = clustersIn(next);
  if (before.size === 0 || !mesh.samplesPinnedBy || (before.size === now.size && [...now].every((c) => before.has(c)))) return [];
  const [was, is] = [sampleDeployments(old), sampleDeployments(next)];
  return fleet.clusters.filter((c) => before.has(c.name)).flatMap((c) => {
    const a = was.get(c.name) ?? [];
    const b = is.get(c.name) ?? [];
    if (a.join() === b.join()) return [];
    return [`the sample apps on ${c.name} change (${a.join(', ') || 'none'} → ${b.join(', ') || 'none'}) because clusters came or went: ` +
      `where they run follows the sorted cluster names unless fleet.yaml pins it (${mesh.samplesPinnedBy!(c.index)}); if this is what you meant, nothing to do`];
  });
}
