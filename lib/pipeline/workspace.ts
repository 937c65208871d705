/**
 * Where a command reads and writes: the fleet file, the output folder and the CA store, resolved
 * (symlinks too) and held to the repository's rules: everything meshfleet writes is inside the git
 * repository around the fleet file, and one writing command runs at a time (.meshfleet.lock).
 */
import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors';
import { displayPath, fileKind, posixPath } from '../format/paths';
import { README_MARKER } from '../format/yaml';
import { acquireLock } from '../output/lock';

/** What a command was told: the fleet file, the output folder and the CA store, as typed. */
export interface WorkspaceOptions {
  readonly fleet: string;
  readonly out: string;
  /** The CA store; undefined = pki/ beside the fleet file. */
  readonly pki?: string;
}

export interface Paths {
  readonly fleetPath: string;
  readonly fleetDir: string;
  readonly outDir: string;
  readonly pkiDir: string;
  /** The CA store as the user named it (--pki, or pki/ beside the fleet file), before symlinks are resolved. */
  readonly pkiGiven: string;
  readonly pkiDefault: boolean;
}

const MAX_FLEET_BYTES = 1024 * 1024;

/** The paths of `options`, checked: the fleet file exists, is a file and is not too large. */
export function paths(options: WorkspaceOptions): Paths {
  const fleetPath = resolve(options.fleet);
  if (!existsSync(fleetPath)) throw new UsageError(`fleet file not found: ${options.fleet} (pass --fleet <file>)`);
  const stat = statSync(fleetPath);
  if (!stat.isFile()) {
    throw new UsageError(`--fleet ${options.fleet} is ${fileKind(stat)}: pass the fleet.yaml file itself`);
  }
  if (stat.size > MAX_FLEET_BYTES) throw new UsageError(`--fleet ${options.fleet} is ${stat.size} bytes; a fleet file is at most ${MAX_FLEET_BYTES} bytes`);
  const fleetDir = dirname(fleetPath);
  // Symlinks are resolved first, so that the inside-the-repository checks see where files really go.
  const pkiGiven = resolve(options.pki ?? join(fleetDir, 'pki'));
  return { fleetPath, fleetDir, outDir: realPath(resolve(options.out)), pkiDir: realPath(pkiGiven), pkiGiven, pkiDefault: options.pki === undefined };
}

/** The real location of `path`, which may not exist yet: its nearest existing ancestor resolved. */
function realPath(path: string, depth = 0): string {
  const rest: string[] = [];
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) {
    // A symlink whose target does not exist yet (pki -> /elsewhere/pki): writing creates the target, so it is where files go.
    const link = depth < 40 ? danglingLink(dir) : undefined;
    if (link !== undefined) return join(realPath(resolve(dirname(dir), link), depth + 1), ...rest);
    rest.unshift(basename(dir));
    dir = dirname(dir);
  }
  return join(realpathSync(dir), ...rest);
}

function danglingLink(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

/** The output folder .sops.yaml's rules describe, relative to the fleet file's folder. */
export const DEFAULT_OUT = 'dist';

/**
 * Kustomization paths are relative to the root of the git repository Flux syncs: the nearest
 * folder above the fleet file that holds .git, or the fleet file's folder outside git.
 */
export function repoPath(fleetPath: string, outDir: string): string {
  const root = repoRoot(fleetPath);
  const rel = relative(root, outDir);
  if (rel.startsWith('..') || resolve(root, rel) !== outDir) {
    throw new UsageError(`--out ${outDir} must be inside the repository Flux syncs (${root}), because Flux paths are relative to its root`);
  }
  return posixPath(rel);
}

/** The git repository around the fleet file (its real path), or the fleet file's folder outside git. */
function repoRoot(fleetPath: string): string {
  const start = realPath(dirname(fleetPath));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/**
 * The CA store is committed with the fleet: it must be inside the same repository, where it really
 * is (symlinks resolved), as for --out. Every command that reads or writes it checks this first.
 */
export function assertPkiInRepo(p: Paths): void {
  const root = repoRoot(p.fleetPath);
  const rel = relative(root, p.pkiDir);
  if (!rel.startsWith('..') && resolve(root, rel) === p.pkiDir) return;
  const named = p.pkiDefault ? `${displayPath(p.pkiGiven)} (the CA store beside the fleet file)` : `--pki ${displayPath(p.pkiGiven)}`;
  const via = p.pkiDir !== p.pkiGiven ? ` is a symlink (or below one) to ${p.pkiDir}, which is outside` : ' is outside';
  throw new UsageError(`${named}${via} the repository of the fleet file (${root}): the CA store is committed with it, and meshfleet writes nowhere outside the repository. ` +
    (p.pkiDir !== p.pkiGiven
      ? `Replace the symlink with the folder itself (\`rm ${displayPath(p.pkiGiven)} && cp -a ${p.pkiDir} ${displayPath(p.pkiGiven)}\`), or pass --pki with a folder inside the repository.`
      : 'Pass --pki with a folder inside the repository.'));
}

/** The fleet (metadata.name) an output folder was rendered from, as its README.md names it; undefined for none. */
export function outputFleet(outDir: string): string | undefined {
  const readme = join(outDir, 'README.md');
  if (!existsSync(readme)) return undefined;
  const [marker, title] = readFileSync(readme, 'utf8').split('\n', 2);
  return marker === README_MARKER ? /^# Fleet `([^`]+)`$/.exec(title ?? '')?.[1] : undefined;
}

/**
 * Refuses an output folder rendered from another fleet (another metadata.name): a wrong --out, or
 * a copy of the examples, must not be overwritten, compared or passed as this fleet's.
 */
export function assertOwnOutput(p: Paths, options: WorkspaceOptions, fleetName: string): void {
  const other = outputFleet(p.outDir);
  if (other === undefined || other === fleetName) return;
  throw new UsageError(`${options.out} holds the output of fleet ${other}, but ${options.fleet} is fleet ${fleetName} (metadata.name): ` +
    `pass --out with this fleet's own folder (the default is dist/ beside the fleet file). If you renamed the fleet on purpose, ` +
    `remove the old output (\`git rm -r -q ${options.out}\`) and run synth again.`);
}

/** Runs `fn` holding the repository's lock (.meshfleet.lock beside fleet.yaml): one writing command at a time. */
export async function locked<T>(p: Paths, command: string, err: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = acquireLock(p.fleetDir, command);
  try {
    if (lock.note) err(lock.note);
    return await fn();
  } finally {
    lock.release();
  }
}
