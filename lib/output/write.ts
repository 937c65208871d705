/**
 * Writes the rendered tree into the output folder so that the folder ends up holding exactly the
 * rendered files — plus the paths another tool owns there (`foreign`: a GitOps engine's own
 * folders, such as the clusters/<cluster>/flux-system/ that `flux bootstrap` commits), which
 * meshfleet never writes, prunes or reads. New content is staged in a sibling folder first (one
 * per process and call, so two commands never share it) and moved into place file by file (rename
 * is atomic), so no reader ever sees a half-written file; files whose bytes did not change are not
 * touched. A synth killed midway leaves a mix of old and new files, which the next synth completes.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { UsageError } from '../errors';
import { alive } from './lock';
import { README_MARKER } from '../format/yaml';
import { posixPath } from '../format/paths';

export interface WriteResult {
  readonly written: string[];
  readonly removed: string[];
  readonly unchanged: number;
}

/** Whether a dist-relative path (file or folder) belongs to another tool: left alone, never listed. */
export type Foreign = (path: string) => boolean;

/** Refuses a non-empty folder that meshfleet did not write, so a wrong --out cannot wipe a tree. */
export function assertOwned(outDir: string): void {
  if (!existsSync(outDir)) return;
  if (!statSync(outDir).isDirectory()) throw new UsageError(`--out ${outDir} is a file, not a folder`);
  const entries = readdirSync(outDir);
  if (entries.length === 0) return;
  const readme = join(outDir, 'README.md');
  const marked = existsSync(readme) && readFileSync(readme, 'utf8').startsWith(README_MARKER);
  if (!marked) {
    throw new UsageError(
      `refusing to write into ${outDir}: it is not empty and was not written by meshfleet (its README.md lacks the meshfleet marker). ` +
        'Point --out at an empty or new folder, or at a folder meshfleet rendered before.',
    );
  }
}

/** The files under outDir as dist-relative POSIX paths, foreign ones excluded. */
export function listTree(outDir: string, foreign: Foreign): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = posixPath(relative(outDir, full));
      if (foreign(rel)) continue;
      if (entry.isDirectory()) walk(full);
      else out.push(rel);
    }
  };
  walk(outDir);
  return out.sort();
}

/** Paths whose content on disk differs from `files`, plus stale files; empty when in sync. */
export function diffTree(outDir: string, files: Map<string, string>, foreign: Foreign, onDisk?: ReadonlyMap<string, string>): { changed: string[]; stale: string[] } {
  // `onDisk`: the folder already read by the caller (foreign paths left out, as listTree does).
  const current = (p: string): string | undefined => {
    if (onDisk) return onDisk.get(p);
    const full = join(outDir, p);
    return existsSync(full) ? readFileSync(full, 'utf8') : undefined;
  };
  const changed = [...files.keys()].filter((p) => current(p) !== files.get(p)).sort();
  const stale = (onDisk ? [...onDisk.keys()].sort() : listTree(outDir, foreign)).filter((p) => !files.has(p));
  return { changed, stale };
}

/** `onDisk`: the output folder as the caller already read it, so it is not read twice. */
export function writeTree(outDir: string, files: Map<string, string>, foreign: Foreign, onDisk?: ReadonlyMap<string, string>): WriteResult {
  assertOwned(outDir);
  const { changed, stale } = diffTree(outDir, files, foreign, onDisk);
  const staging = stagingDir(outDir);
  try {
    for (const path of changed) {
      const target = join(staging, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, files.get(path)!);
    }
    // README.md (with the marker assertOwned looks for) first: a synth killed after its first move
    // leaves a folder the next synth recognises as its own and completes.
    for (const path of [...changed].sort((a, b) => Number(b === 'README.md') - Number(a === 'README.md'))) {
      const target = join(outDir, path);
      mkdirSync(dirname(target), { recursive: true });
      renameSync(join(staging, path), target);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  for (const path of stale) unlinkSync(join(outDir, path));
  removeEmptyDirs(outDir, foreign);
  return { written: changed, removed: stale, unchanged: files.size - changed.length };
}

let stagings = 0;

/**
 * A staging folder beside `target` that no other process or call shares (<target>.meshfleet-staging-<pid>-<n>),
 * after removing those that processes no longer running left behind (kill -9).
 */
export function stagingDir(target: string): string {
  const base = target.replace(/[\\/]+$/, '');
  const prefix = `${basename(base)}.meshfleet-staging`;
  const parent = dirname(base);
  if (existsSync(parent)) {
    for (const name of readdirSync(parent)) {
      if (!name.startsWith(prefix)) continue;
      const pid = Number(/^-(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1]);
      // The old fixed name, or one whose process is gone.
      if (name === prefix || (pid > 0 && pid !== process.pid && !alive(pid))) rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
  return `${base}.meshfleet-staging-${process.pid}-${++stagings}`;
}

function removeEmptyDirs(root: string, foreign: Foreign): void {
  const visit = (dir: string, rel: string): boolean => {
    let empty = true;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory() && !foreign(childRel) && visit(join(dir, entry.name), childRel)) {
        rmdirSync(join(dir, entry.name));
      } else {
        empty = false;
      }
    }
    return empty;
  };
  if (existsSync(root)) visit(root, '');
}

/**
 * Writes a set of files under `dir` (relative paths), each first to a temporary name beside it and
 * then renamed into place, so a reader sees either the old or the new file, never half of one.
 */
export function writeFilesAtomically(dir: string, files: ReadonlyMap<string, string>): void {
  for (const [path, content] of files) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.meshfleet-tmp`;
    writeFileSync(tmp, content);
    renameSync(tmp, target);
  }
}

/** Creates a folder that must not exist yet, complete or not at all (staged, then renamed). */
export function writeNewDir(dir: string, files: ReadonlyMap<string, string>): void {
  const staging = stagingDir(dir);
  try {
    writeFilesAtomically(staging, files);
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
