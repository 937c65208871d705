/**
 * The two sides a review compares, as trees in memory (relative POSIX path → text): a folder on
 * disk, or a folder at a git ref (read with `git ls-tree` + one `git cat-file --batch`, so the
 * working tree is never touched and a ref of any age works).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../errors';
import { posixPath } from '../format/paths';
import type { Tree } from '../contracts/tree';

/** Every file below `dir` (relative POSIX path → content) whose path passes `keep`; empty when missing. */
export function readDiskTree(dir: string, keep: (path: string) => boolean = () => true): Tree {
  const out: Tree = new Map();
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      const rel = posixPath(relative(dir, full));
      if (e.isDirectory()) walk(full);
      else if (keep(rel)) out.set(rel, readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** The root of the git work tree holding `path`, or undefined outside git (or without git). */
export function gitRoot(path: string): string | undefined {
  let dir = path;
  while (!existsSync(dir)) dir = dirname(dir);
  const r = spawnSync('git', ['rev-parse', '--show-toplevel'], { cwd: dir, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** How many files git has at HEAD below `dir` (0 outside git, or before the first commit). */
export function filesAtHead(dir: string): number {
  const root = gitRoot(dir);
  if (!root) return 0;
  const r = spawnSync('git', ['ls-tree', '-r', '--name-only', '-z', 'HEAD', '--', posixPath(relative(root, dir)) || '.'], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30 });
  return r.status === 0 ? r.stdout.split('\0').filter(Boolean).length : 0;
}

/** Whether `ref` names a commit in the repository at `root`. */
export function refExists(root: string, ref: string): boolean {
  return spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd: root, stdio: 'ignore' }).status === 0;
}

/**
 * The files below `dir` (an absolute path inside the repository at `root`) as they are at `ref`,
 * relative to `dir`; empty when the folder did not exist at that ref.
 */
export function readGitTree(root: string, ref: string, dir: string, keep: (path: string) => boolean = () => true): Tree {
  if (!refExists(root, ref)) throw new UsageError(`--base ${ref} is not a commit in ${root} (try a branch, a tag or a sha; in CI fetch it first, e.g. \`git fetch origin main\`)`);
  const prefix = posixPath(relative(root, dir));
  const listing = execFileSync('git', ['ls-tree', '-r', '-z', ref, '--', prefix || '.'], { cwd: root, maxBuffer: 1 << 30 });
  const blobs: { path: string; sha: string }[] = [];
  for (const entry of listing.toString('utf8').split('\0')) {
    if (!entry) continue;
    const tab = entry.indexOf('\t');
    const [, type, sha] = entry.slice(0, tab).split(' ');
    const full = entry.slice(tab + 1);
    if (type !== 'blob') continue;
    const rel = prefix ? full.slice(prefix.length + 1) : full;
    if (prefix && !full.startsWith(`${prefix}/`)) continue;
    if (keep(rel)) blobs.push({ path: rel, sha: sha! });
  }
  const out: Tree = new Map();
  if (blobs.length === 0) return out;
  const raw = execFileSync('git', ['cat-file', '--batch'], { cwd: root, input: blobs.map((b) => b.sha).join('\n') + '\n', maxBuffer: 1 << 30 });
  let at = 0;
  for (const blob of blobs) {
    const eol = raw.indexOf(0x0a, at);
    const size = Number(raw.subarray(at, eol).toString('utf8').split(' ')[2]);
    out.set(blob.path, raw.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return out;
}
