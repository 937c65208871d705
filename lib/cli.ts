/**
 * The command line: `npm run synth`, `npm run pki`, `npm run link`. Argument parsing and output
 * only; every command runs the steps of lib/pipeline.ts, and every check runs before the first
 * byte is written, so a failing command leaves the disk as it was.
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ArgumentError, argumentError, didYouMean, FleetError, PartlyWritten, redact, UsageError } from './errors';
import type { Fleet } from './fleet/types';
import type { MeshModule } from './contracts/mesh';
import { acquireLock, lockHolder } from './output/lock';
import { assertOwned, isFluxOwned, writeFilesAtomically, writeNewDir } from './output/write';
import { ADDONS } from './addons/registry';
import { ENGINES } from './gitops/registry';
import { MESHES } from './mesh/registry';
import { loadFleetWithModules, plan, pruneNotices, SchemaError, validate, write, type Modules } from './pipeline';
import { assertOwnStore, assertStoreComplete, fileReader, missingStoreFiles, readOnce, type StoreKind } from './pki/files';
import { applyReview, markRevoked, misplacedFiles, needsChange, readRevocations, recordRevocations, reviewPki, reviewProblem, reviewReport, revocationsSection, type PkiReview } from './pki/revoke';
import { attentionLines, checkKeys, EXPIRY_WARNING_DAYS, formatStatus, mismatchLines, needsAttention, withKeyChecks } from './pki/status';
import { assertNoPendingPki, commitPkiChanges, recoverPki, TXN_DIR } from './pki/transaction';
import { render, type Rendered } from './render/render';
import { toYaml } from './format/yaml';
import { diffTrees, isEmpty } from './review/diff';
import { formatMarkdown, formatText, objectId } from './review/format';
import { filesAtHead, gitRoot, readDiskTree, readGitTree, refExists } from './review/tree';
import { sopsConfig } from './sops/config';
import { identityNamed, operatorIdentities } from './sops/identity';
import { PROJECT_ROOT } from './root';
import { displayPath, fileKind, posixPath } from './format/paths';
import type { FileReader } from './contracts/store';
import type { Tree } from './contracts/tree';

export { SchemaError };

export const HELP = `Usage: npm run synth -- [options]
       npm run diff -- [--base <git ref>] [--markdown] [options]
       npm run check -- [--strict] [options]
       npm run pki -- <status|issue <cluster>|rotate <cluster>|rekey|revoked <holder>> [options]
       npm run link -- [options]

synth renders fleet.yaml into per-cluster GitOps folders for Flux or Argo CD
(spec.gitops.engine). The first synth in a repository without pki/ creates
the CA store (root + one intermediate per cluster, keys SOPS-encrypted to the
age recipients).

pki status           table of the CA certificates; exit 1 if one expires
                     within 30 days, is missing, does not chain to the root
                     or does not match its private key
pki issue <cluster>  a CA for a cluster added to the fleet (Istio: intermediate
                     CA; Linkerd: identity issuer)
pki rotate <cluster> a new CA for a cluster
pki rekey            re-encrypt pki/ to the recipients fleet.yaml names now
                     (issue, rotate and rekey need SOPS_AGE_KEY_FILE: an
                     operator's age identity)
pki revoked <holder> the revocation checklist of a cluster (or "operator <n>",
                     or an age recipient) that left the fleet is done: drop it
                     from pki/revocations.yaml and dist/README.md
link                 read what each cluster's peers need from it (Istio: reader
                     token; Linkerd: remote-access token, gateway address)
                     through its kubeconfig context; write pki/links/
diff                 render in memory and compare, per cluster, stage and
                     object, with --out as committed (or as it is at --base):
                     added, removed, changed fields with old -> new values;
                     secrets only by what is public (certificate subject,
                     serial, expiry); exit 0 no difference, 1 differences
check                everything CI needs, in one command: --out is what synth
                     renders (objects and fields), every object passes its
                     schema, no certificate expires within 30 days, .sops.yaml
                     is current, pki/ is encrypted to exactly fleet.yaml's
                     keys; pending links warn (fail with --strict)

Options:
  --fleet <file>   the fleet description                       (default: fleet.yaml)
  --out <dir>      the output folder, inside the git repository
                   the GitOps engine syncs                     (default: dist)
  --pki <dir>      the CA store          (default: pki/ beside the fleet file)
  --check          synth only: render in memory and compare with --out and
                   .sops.yaml; exit 1 and list the objects that differ
  --base <ref>     diff only: compare with --out at this git ref
                   (default: --out in the working tree)
  --markdown       diff only: a summary for a pull request comment
  --strict         check only: pending links fail too
  --debug          on failure, also print the stack trace
  --version        meshfleet's version and the versions it pins
  -h, --help       show this help (with a command: that command's help)

Exit codes: 0 done (or, with --check, up to date); 1 invalid input, refused
output folder, --check found drift, or a failed command; 2 a wrong command
line (unknown command or option, a missing value: the command's usage is
printed, with "did you mean" for a near miss). On exit 1 or 2 nothing on
disk has changed. diff: 0 no difference, 1 differences, 2 failed.

The output folder holds exactly what fleet.yaml describes: files of clusters
that left the fleet are removed; clusters/<cluster>/flux-system/ (written by
\`flux bootstrap\`) is never written, removed or read.

One writing command at a time: synth, pki issue|rotate|rekey and link take
.meshfleet.lock beside the fleet file (a second one refuses, naming the
first) and first complete or roll back a pki/ change that a killed command
left. synth --check, check, diff and pki status only read: they report such
a change and name the command that repairs it.

When a cluster leaves or a key changes, synth also removes the cluster's
pki/ files (git history keeps them) and re-encrypts every pki/ file a former
key can read, which needs SOPS_AGE_KEY_FILE (without it synth refuses and
names the files; --check and check fail the same way). What the former key
could read that stays valid on the live clusters is recorded in
pki/revocations.yaml and listed in dist/README.md until \`pki revoked\`.`;

const COMMON = `  --fleet <file>   the fleet description                       (default: fleet.yaml)
  --pki <dir>      the CA store          (default: pki/ beside the fleet file)
  --debug          on failure, also print the stack trace
  -h, --help       show this help`;

/** The flags each command takes (help, version and debug are everyone's). */
const COMMAND_FLAGS: Record<string, readonly string[]> = {
  synth: ['fleet', 'out', 'pki', 'check'],
  diff: ['fleet', 'out', 'pki', 'base', 'markdown'],
  check: ['fleet', 'out', 'pki', 'strict'],
  pki: ['fleet', 'pki'],
  link: ['fleet', 'pki'],
};

const COMMAND_HELP: Record<string, string> = {
  diff: `Usage: npm run diff -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--base <ref>] [--markdown]

Renders in memory and compares, per cluster, stage and object, with --out as
it is in the working tree (or at git ref --base): added, removed and changed
objects with their changed fields. Secrets are compared only by what is public.
Exit 0: no difference; 1: differences; 2: failed.

  --out <dir>      the output folder to compare with (default: dist)
  --base <ref>     compare with --out as committed at this git ref
  --markdown       a summary for a pull request comment
${COMMON}`,
  check: `Usage: npm run check -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--strict]

Everything CI needs: --out is what synth renders (objects and fields), every
object passes its schema, no certificate expires within 30 days, .sops.yaml is
current, every pki/ file is readable by exactly the keys fleet.yaml names and
no removed cluster's files remain. Pending links are a warning, or a failure
with --strict; pending revocations are a warning.

  --out <dir>      the output folder to check (default: dist)
  --strict         pending links fail too
${COMMON}`,
  synth: `Usage: npm run synth -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--check]

Renders fleet.yaml into per-cluster GitOps folders; creates the CA store on the
first run. Files of clusters that left the fleet are removed from the store;
files a former key can still read are re-encrypted (needs SOPS_AGE_KEY_FILE)
and what git cannot revoke is recorded in pki/revocations.yaml. With --check,
renders in memory and exits 1 when --out, .sops.yaml or the store differ from
what fleet.yaml renders to.

  --out <dir>      the output folder, inside the git repository (default: dist)
  --check          compare instead of write (for CI)
${COMMON}`,
  pki: `Usage: npm run pki -- <status|issue <cluster>|rotate <cluster>|rekey|revoked <holder>> [--fleet <file>] [--pki <dir>]

status               the CA certificates; exit 1 if one expires within 30 days,
                     is missing, does not chain to the root or does not match
                     its private key
issue <cluster>      a CA for a cluster added to the fleet
rotate <cluster>     a new CA for a cluster
rekey                re-encrypt the store to the recipients fleet.yaml names now
revoked <holder>     a pending revocation (pki/revocations.yaml) is done: a
                     cluster name, "operator <n>" or the former age recipient
issue, rotate and rekey need SOPS_AGE_KEY_FILE (an operator's age identity).

${COMMON}`,
  link: `Usage: npm run link -- [--fleet <file>] [--pki <dir>]

Reads what only the live clusters know (service-account tokens, API server CAs)
through each cluster's kubeconfig context (kubectl, or KUBECTL) and writes the
encrypted links into the CA store; synth then places them. Nothing is written
unless every cluster could be read.

${COMMON}`,
};

/** `--version`: meshfleet's own version and everything it pins. */
function versionText(): string {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
  const rows: [string, string][] = [];
  const add = (pins: Readonly<Record<string, string>> | undefined): void => {
    for (const [k, v] of Object.entries(pins ?? {})) rows.push([k, v]);
  };
  for (const mesh of Object.values(MESHES)) add(mesh.pins);
  for (const engine of Object.values(ENGINES)) add(engine.pins);
  for (const addon of ADDONS) add(addon.pins);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`meshfleet ${pkg.version} (fleet API meshfleet.io/v1alpha1)`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}

export interface SynthOptions {
  readonly fleet: string;
  readonly out: string;
  readonly check: boolean;
  /** The CA store; undefined = pki/ beside the fleet file. */
  readonly pki?: string;
}

export interface ReviewOptions {
  /** diff: the git ref to compare with; undefined = --out in the working tree. */
  readonly base?: string;
  readonly markdown: boolean;
  /** check: pending links fail. */
  readonly strict: boolean;
}

export type Command = { name: 'synth' } | { name: 'pki'; action: string; cluster?: string } | { name: 'link' } |
  { name: 'diff' } | { name: 'check' };

export interface SynthResult {
  readonly fleet: Fleet;
  readonly rendered: Rendered;
  readonly message: string;
  /** Printed on standard error before the message. */
  readonly warnings: readonly string[];
}

const STRING_OPTIONS = new Set(['fleet', 'out', 'pki', 'base']);

/** The command argv names (skipping option values), for the usage an argument error prints. */
function commandOf(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && STRING_OPTIONS.has(a.replace(/^-+/, ''))) i++;
      continue;
    }
    return a;
  }
  return 'synth';
}

/** Parses argv; throws ArgumentError on unknown options and on another command's flags. Returns the text for --help and --version. */
export function parseCli(argv: string[]): { command: Command; options: SynthOptions; review: ReviewOptions } | { help: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        fleet: { type: 'string', default: 'fleet.yaml' },
        out: { type: 'string', default: 'dist' },
        pki: { type: 'string' },
        check: { type: 'boolean', default: false },
        base: { type: 'string' },
        markdown: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (err) {
    const verb = commandOf(argv);
    const command = verb in COMMAND_FLAGS ? verb : 'synth';
    throw argumentError(err as Error, argv, command, [...COMMAND_FLAGS[command]!, 'help', 'version']);
  }
  const [verb, action, cluster, ...extra] = parsed.positionals;
  if (parsed.values.help) return { help: verb === undefined ? HELP : COMMAND_HELP[verb] ?? HELP };
  if (parsed.values.version) return { help: versionText() };
  const name = verb ?? 'synth';
  if (!(name in COMMAND_FLAGS)) throw new ArgumentError(`unknown command ${JSON.stringify(verb)}${didYouMean(name, Object.keys(COMMAND_FLAGS))}`);
  // Each command takes only its own flags: a flag another command has is an error, not ignored.
  const given = new Set(parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  const allowed = COMMAND_FLAGS[name]!;
  const stray = [...given].filter((f) => !allowed.includes(f) && f !== 'help' && f !== 'version');
  if (stray.length > 0) {
    const owners = Object.keys(COMMAND_FLAGS).filter((c) => COMMAND_FLAGS[c]!.includes(stray[0]!));
    throw new ArgumentError(`${name} does not take --${stray[0]}${owners.length > 0 ? ` (that is an option of ${owners.join(', ')})` : ''}`, name);
  }
  const options: SynthOptions = {
    fleet: parsed.values.fleet!, out: parsed.values.out!, check: parsed.values.check!, ...(parsed.values.pki ? { pki: parsed.values.pki } : {}),
  };
  const usage = (what: string): ArgumentError => new ArgumentError(what, name);
  const review: ReviewOptions = {
    ...(parsed.values.base !== undefined ? { base: parsed.values.base } : {}), markdown: parsed.values.markdown!, strict: parsed.values.strict!,
  };
  if (name === 'synth' || name === 'link' || name === 'diff' || name === 'check') {
    if (action !== undefined) throw usage(`unexpected argument ${JSON.stringify(action)}`);
    return { command: { name }, options, review };
  }
  const actions = ['status', 'issue', 'rotate', 'rekey', 'revoked'];
  const needsCluster = action === 'issue' || action === 'rotate' || action === 'revoked';
  if (!actions.includes(action ?? '')) throw usage(`pki needs one of status, issue, rotate, rekey, revoked (got ${JSON.stringify(action ?? '')})${action ? didYouMean(action, actions) : ''}`);
  if (needsCluster && cluster === undefined) throw usage(`pki ${action} needs a ${action === 'revoked' ? 'holder (a cluster name, "operator <n>", or an age recipient)' : 'cluster name'}`);
  if ((!needsCluster && cluster !== undefined) || extra.length > 0) throw usage('too many arguments');
  return { command: { name: 'pki', action: action!, ...(cluster ? { cluster } : {}) }, options, review };
}

interface Paths {
  readonly fleetPath: string;
  readonly fleetDir: string;
  readonly outDir: string;
  readonly pkiDir: string;
  /** The CA store as the user named it (--pki, or pki/ beside the fleet file), before symlinks are resolved. */
  readonly pkiGiven: string;
  readonly pkiDefault: boolean;
}

const MAX_FLEET_BYTES = 1024 * 1024;

function paths(options: SynthOptions): Paths {
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


/** Everything a synth knows before it writes: the fleet, its modules, the rendered tree, .sops.yaml. */
interface Prepared {
  readonly p: Paths;
  readonly fleet: Fleet;
  readonly modules: Modules;
  readonly warnings: readonly string[];
  readonly rendered: Rendered;
  readonly pki: unknown;
  readonly newPki?: Map<string, string>;
  readonly pkiLabel: string;
  readonly sopsPath: string;
  readonly sopsText: string;
  /** An interrupted pki/ change this synth completed or rolled back first. */
  readonly recovered?: string;
  /** What synth changes in the CA store (stale recipients, orphans, revocations), and what it says about it. */
  readonly pkiChange?: { readonly writes: ReadonlyMap<string, string>; readonly deletes: readonly string[]; readonly report: readonly string[] };
  /** Revocations recorded in the store (after this synth's change). */
  readonly pendingRevocations: readonly string[];
}

/**
 * load → … → render in memory; `validateSchemas` false leaves the validate step to the caller.
 * The CA store is reviewed first (lib/pki/revoke.ts): a synth plans its re-encryptions and removals
 * (refusing stale recipients without an operator identity), `--check`/`check` refuse any, `diff` skips it.
 */
/**
 * Whether `pkiDir` is an empty folder: a new store is made in it, as where there is none. A folder
 * emptied of a store git still has at HEAD is not new: that is every file lost, so restore it.
 */
function emptyStore(pkiDir: string, label: string): boolean {
  if (!existsSync(pkiDir) || !statSync(pkiDir).isDirectory() || readdirSync(pkiDir).length > 0) return false;
  const committed = filesAtHead(pkiDir);
  if (committed > 0) {
    throw new UsageError(`${label} is empty, but the last commit has ${committed} file(s) in it: the CA store was deleted, not never made. ` +
      `Restore it (\`git checkout HEAD -- ${label}\`); a new store would be a new root of trust that no running cluster shares.`);
  }
  return true;
}

const storeKind = (mesh: MeshModule, fleet: Fleet): StoreKind => ({ type: mesh.type, files: mesh.ca?.files(fleet) ?? [] });
const otherStores = (mesh: MeshModule, fleet: Fleet): StoreKind[] =>
  Object.values(MESHES).filter((m) => m !== mesh && m.ca).map((m) => storeKind(m, fleet));

async function prepare(options: SynthOptions, inMemoryOnly: boolean, validateSchemas = true, reviewStore = true): Promise<Prepared> {
  const p = paths(options);
  const { fleet, modules, warnings, locate } = loadFleetWithModules(readFileSync(p.fleetPath, 'utf8'), options.fleet);
  const { mesh } = modules;
  const pkiLabel = displayPath(p.pkiDir);
  if (!inMemoryOnly) assertOwned(p.outDir);
  if (mesh.ca) assertPkiInRepo(p);
  // An interrupted pki/ change: a synth (under the lock) completes or rolls it back; a read-only command reports it.
  const recovered = inMemoryOnly ? (assertNoPendingPki(p.pkiDir, lockHolder(p.fleetDir)), undefined) : recoverPki(p.pkiDir, trustRoot(mesh, fleet));
  let newPki: Map<string, string> | undefined;
  if (mesh.ca && !existsSync(p.pkiDir) || mesh.ca && emptyStore(p.pkiDir, pkiLabel)) {
    if (inMemoryOnly) throw new UsageError(`${pkiLabel} ${existsSync(p.pkiDir) ? 'is empty' : 'does not exist'}; run \`npm run synth\` once to create the CA store`);
    // Key generation can take seconds (RSA 4096, many clusters): say so on a terminal.
    if (process.stderr.isTTY) process.stderr.write(`creating the CA store ${pkiLabel} for ${fleet.clusters.length} cluster(s): generating keys…\n`);
    newPki = await mesh.ca.create(fleet);
  }
  // .sops.yaml describes the default output folder (dist/ beside fleet.yaml) whatever --out is, so
  // rendering elsewhere never breaks the rules the default output relies on.
  const rules = mesh.ca?.sopsRules(fleet, posixPath(relative(p.fleetDir, p.pkiDir)), DEFAULT_OUT) ?? [];
  // The review, the CA profile's read and the key check all pass over the store: each file is read once.
  let reader: FileReader = newPki ? (path) => newPki!.get(path) : readOnce(fileReader(p.pkiDir));
  let review: PkiReview | undefined;
  let pkiChange: Prepared['pkiChange'];
  // A file the store implies that is gone (a deleted root key, a cluster's chain) stops every command that reads the store.
  if (mesh.ca && !newPki) assertOwnStore(storeKind(mesh, fleet), otherStores(mesh, fleet), reader, pkiLabel);
  if (mesh.ca && !newPki) assertStoreComplete(mesh.ca.files(fleet), reader, pkiLabel);
  // Before the review: a swapped cluster folder must not be "repaired" by re-encrypting it.
  if (mesh.ca && !newPki) assertPlaced(mesh.ca, fleet, p.pkiDir, reader, pkiLabel);
  if (mesh.ca && !newPki && reviewStore) {
    review = reviewPki({ fleet, ca: mesh.ca, pkiDir: p.pkiDir, pkiLabel, fleetPath: p.fleetPath, rules, read: reader });
    if (needsChange(review)) {
      if (inMemoryOnly || (review.stale.length > 0 && !identityNamed())) throw new UsageError(reviewProblem(review, pkiLabel, inMemoryOnly));
      const change = await applyReview(review, p.pkiDir, pkiLabel, () => operatorIdentities());
      const disk = reader;
      reader = (path) => (change.deletes.includes(path) ? undefined : change.writes.get(path) ?? disk(path));
      pkiChange = { ...change, report: reviewReport(review, pkiLabel) };
    }
  }
  let pki: unknown;
  try {
    pki = mesh.ca?.read(reader, fleet, pkiLabel);
  } catch (e) {
    // A rename shows up as a new cluster without a CA: say what meshfleet makes of it.
    if (e instanceof UsageError && review?.renameNote) throw new UsageError(`${e.message}\n${review.renameNote}`);
    throw e;
  }
  if (mesh.ca && !newPki) {
    const mismatches = mismatchLines(await checkKeys(mesh.ca.keyPairs(fleet), reader, availableIdentities(), pkiLabel), pkiLabel);
    if (mismatches.length > 0) throw new UsageError(`a certificate in ${pkiLabel} does not match its private key:\n${mismatches.map((m) => `  - ${m}`).join('\n')}`);
  }
  const pendingRevocations = mesh.ca ? revocationsSection(readRevocations(reader, pkiLabel)) : [];
  const repo = repoPath(p.fleetPath, p.outDir);
  const rendered = render({ fleet, plan: plan(fleet, modules, pki, options.fleet, undefined, locate), ...modules, pki, repoPath: repo, notices: pendingRevocations });
  if (validateSchemas) validate(rendered);
  const sopsPath = join(p.fleetDir, '.sops.yaml');
  const sopsText = sopsConfig(rules);
  return { p, fleet, modules, warnings, rendered, pki, ...(newPki ? { newPki } : {}), pkiLabel, sopsPath, sopsText, ...(recovered ? { recovered } : {}), ...(pkiChange ? { pkiChange } : {}), pendingRevocations };
}

/** The output folder .sops.yaml's rules describe, relative to the fleet file's folder. */
const DEFAULT_OUT = 'dist';

/** The operator identities when SOPS_AGE_KEY(_FILE) names usable ones; undefined otherwise (never an error: they only add checks). */
function availableIdentities(): string[] | undefined {
  if (!identityNamed()) return undefined;
  try {
    return operatorIdentities();
  } catch {
    return undefined;
  }
}

const sopsStale = (x: Prepared): boolean => !existsSync(x.sopsPath) || readFileSync(x.sopsPath, 'utf8') !== x.sopsText;

/** The whole synth; throws FleetError / UsageError / SchemaError, never exits. */
export async function synth(options: SynthOptions): Promise<SynthResult> {
  const x = await prepare(options, options.check);
  const { p, fleet, rendered, warnings, newPki, pkiLabel } = x;
  const pendingNote = pendingLinks(x.modules.mesh, fleet, x.pki);

  if (options.check) {
    const list = driftLines(outTree(p.outDir), rendered);
    if (sopsStale(x)) list.push(`  changed: ${posixPath(relative(p.outDir, x.sopsPath))} (the sops rules beside fleet.yaml)`);
    if (list.length > 0) {
      throw new UsageError(`${options.out} is not what ${options.fleet} renders to (run \`npm run synth\` and commit the result); compared with the rendering, ${options.out} has:\n${list.join('\n')}`);
    }
    return { fleet, rendered, warnings, message: `${options.out} is up to date with ${options.fleet}${pendingNote}` };
  }
  // Said before anything is written: what the change makes Flux / Argo CD delete on live clusters.
  const onDisk = outTree(p.outDir);
  const notices = pruneNotices(onDisk, rendered.files, fleet);
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
    if (sopsStale(x)) writeFilesAtomically(p.fleetDir, new Map([['.sops.yaml', x.sopsText]]));
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
      `${result.written.length} written, ${result.removed.length} removed, ${result.unchanged} unchanged${pendingNote}${elsewhere}`,
  };
}

/** The output folder as on disk, Flux's own folders left out. */
function outTree(outDir: string): Tree {
  return readDiskTree(outDir, (path) => !isFluxOwned(path));
}

/**
 * How the output folder deviates from what synth renders, one line per object (cluster/stage Kind
 * ns/name and its changed fields) and per other file, from the folder's side: an object or file
 * someone deleted from it is "removed", one synth would not write is "added". A file whose objects
 * are equal but whose bytes are not (edited comments or formatting) is "reformatted".
 */
function driftLines(onDisk: Tree, rendered: Rendered): string[] {
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

function pendingLinks(mesh: MeshModule, fleet: Fleet, pki: unknown): string {
  const pending = mesh.link?.status(fleet, pki).filter((l) => !l.linked) ?? [];
  return pending.length === 0 ? '' :
    `\n${pending.length} link(s) pending (${someOf(pending.map((l) => `${l.from}→${l.to}`), 8)}): ${mesh.link!.pendingHint}`;
}

/**
 * A list for a one-line message: the first `max` items and how many more. A 100-cluster fleet has
 * 9,900 link pairs; a message that names them all is not read.
 */
export function someOf(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

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
function assertPkiInRepo(p: Paths): void {
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

/** Under `cdk8s synth`, also leave one flattened <cluster>.k8s.yaml per cluster for its validation plugins. */
function writeCdk8sOutput(rendered: Rendered): void {
  const outdir = process.env.CDK8S_OUTDIR;
  if (!outdir) return;
  mkdirSync(outdir, { recursive: true });
  for (const [cluster, objs] of rendered.objects) {
    writeFileSync(join(outdir, `${cluster}.k8s.yaml`), objs.map(toYaml).join('---\n'));
  }
}

const isPem = (path: string): boolean => path.endsWith('.pem') && path.split('/')[0] !== TXN_DIR;

/** The CA store's public certificates at a git ref; undefined when it is outside the repository. */
function pkiAt(root: string, ref: string, pkiDir: string): Tree | undefined {
  if (relative(root, pkiDir).startsWith('..') || !refExists(root, ref)) return undefined;
  return readGitTree(root, ref, pkiDir, isPem);
}

/** `npm run diff`: exit 0 when nothing differs, 1 when something does. */
async function diffCommand(options: SynthOptions, review: ReviewOptions, out: (s: string) => void): Promise<number> {
  const x = await prepare(options, true, true, false);
  const root = gitRoot(x.p.outDir);
  let old: Tree;
  let pkiOld: Tree | undefined;
  if (review.base !== undefined) {
    if (!root) throw new UsageError(`--base ${review.base} needs a git repository, and ${options.out} is not in one`);
    old = readGitTree(root, review.base, x.p.outDir, (path) => !isFluxOwned(path));
    pkiOld = pkiAt(root, review.base, x.p.pkiDir);
  } else {
    old = outTree(x.p.outDir);
    // The committed CA store is the best record of the certificates behind the committed dist/.
    pkiOld = root ? pkiAt(root, 'HEAD', x.p.pkiDir) : undefined;
  }
  const d = diffTrees({ old, new: x.rendered.files, pki: { ...(pkiOld ? { old: pkiOld } : {}), new: readDiskTree(x.p.pkiDir, isPem) } });
  const from = review.base !== undefined ? `${options.out} at ${review.base}` : options.out;
  out(review.markdown ? formatMarkdown(d, `meshfleet diff: ${from} → ${options.fleet}`) : formatText(d));
  const notices = pruneNotices(old, x.rendered.files, x.fleet);
  if (notices.length > 0) {
    out(review.markdown
      ? ['', '### ⚠️ What this change deletes on live clusters', '', ...notices.map((n) => `- ${n}`)].join('\n')
      : ['', 'What this change deletes on live clusters:', ...notices.map((n) => `  ! ${n}`)].join('\n'));
  }
  return isEmpty(d) ? 0 : 1;
}

/** `npm run check`: every reason CI should refuse a pull request, each with its fix. */
async function checkCommand(options: SynthOptions, review: ReviewOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const x = await prepare(options, true, false);
  const problems: string[] = [];
  const warnings = [...x.warnings];
  try {
    validate(x.rendered);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    problems.push(`objects fail their schema (a bug in meshfleet, or a value fleet.yaml passes through unchecked: fix that value; otherwise report it):\n${e.failures.map((f) => `    ${f}`).join('\n')}`);
  }
  const drift = driftLines(outTree(x.p.outDir), x.rendered);
  if (drift.length > 0) {
    problems.push(`${options.out} is not what ${options.fleet} renders to (a stale or hand-edited ${options.out}: run \`npm run synth\` and commit the result); compared with the rendering, ${options.out} has:\n${drift.map((l) => `  ${l}`).join('\n')}`);
  }
  if (sopsStale(x)) {
    problems.push(`${displayPath(x.sopsPath)} is not what ${options.fleet} implies (run \`npm run synth\` and commit it)`);
  }
  const ca = x.modules.mesh.ca;
  if (ca) {
    const bad = attentionLines(ca.status(x.fleet, x.p.pkiDir), displayPath(x.p.pkiDir));
    if (bad.length > 0) {
      problems.push(`certificate(s) missing, not chaining to the root, or expiring within ${EXPIRY_WARNING_DAYS} days (fix each as it says, then \`npm run synth\`):\n` +
        bad.map((l) => `    ${l}`).join('\n'));
    }
  }
  const pending = pendingLinks(x.modules.mesh, x.fleet, x.pki).trim();
  if (pending) (review.strict ? problems : warnings).push(pending);
  const revocations = x.pendingRevocations.filter((l) => l.startsWith('### ')).map((l) => l.slice(4));
  if (revocations.length > 0) {
    warnings.push(`${revocations.length} revocation(s) pending (${revocations.join('; ')}): do the steps in ${options.out}/README.md ("Pending revocations"), then \`npm run pki -- revoked <holder>\``);
  }
  for (const w of warnings) err(`warning: ${w}`);
  if (problems.length > 0) {
    err(`check failed: ${problems.length} problem(s)\n${problems.map((p, i) => `${i + 1}. ${p}`).join('\n')}`);
    return 1;
  }
  out(`check passed: ${options.out} is what ${options.fleet} renders to, every object passes its schema, certificates are valid for more than ${EXPIRY_WARNING_DAYS} days, .sops.yaml is current`);
  return 0;
}

async function run(command: Command, options: SynthOptions, review: ReviewOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  if (command.name === 'diff') return diffCommand(options, review, out);
  if (command.name === 'check') return checkCommand(options, review, out, err);
  if (command.name === 'synth') {
    const result = await (options.check ? synth(options) : locked(paths(options), 'npm run synth', err, () => synth(options)));
    for (const w of result.warnings) err(`warning: ${w}`);
    out(result.message);
    return 0;
  }
  const p = paths(options);
  // Before recovery or the lock: nothing is read from or written to a store outside the repository.
  assertPkiInRepo(p);
  const loaded = loadFleetWithModules(readFileSync(p.fleetPath, 'utf8'), options.fleet);
  if (command.name === 'link' || command.action !== 'status') {
    const label = command.name === 'link' ? 'npm run link' : `npm run pki -- ${command.action}${command.cluster ? ` ${command.cluster}` : ''}`;
    return locked(p, label, err, async () => {
      const recovered = recoverPki(p.pkiDir, trustRoot(loaded.modules.mesh, loaded.fleet));
      if (recovered) err(`note: ${recovered}`);
      return runPkiOrLink(command, loaded, p, out);
    });
  }
  assertNoPendingPki(p.pkiDir, lockHolder(p.fleetDir));
  return runPkiOrLink(command, loaded, p, out);
}

/** Throws a UsageError listing the CA profile's misplaced certificates, if any. */
function assertPlaced(ca: NonNullable<Modules['mesh']['ca']>, fleet: Fleet, pkiDir: string, read: FileReader, label: string): void {
  const lines = misplaced(ca, fleet, pkiDir, read, label);
  if (lines.length > 0) throw new UsageError(`${label} has certificate(s) in another cluster's folder; nothing was changed:\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}

/** Files in another cluster's folder: by their SOPS recipients (any mesh), then by what the CA profile reads in them. */
function misplaced(ca: NonNullable<Modules['mesh']['ca']>, fleet: Fleet, pkiDir: string, read: FileReader, label: string): string[] {
  return [...misplacedFiles(fleet, ca, pkiDir, read, label), ...(ca.misplaced?.(fleet, read, label) ?? [])];
}

/** The store's fleet-wide files (root, trust anchor, ClusterMesh CA): recovery never deletes them. */
function trustRoot(mesh: Modules['mesh'], fleet: Fleet): string[] {
  return (mesh.ca?.files(fleet) ?? []).filter((f) => f.cluster === undefined).map((f) => f.path);
}

/** Runs `fn` holding the repository's lock (.meshfleet.lock beside fleet.yaml): one writing command at a time. */
async function locked<T>(p: Paths, command: string, err: (s: string) => void, fn: () => Promise<T>): Promise<T> {
  const lock = acquireLock(p.fleetDir, command);
  try {
    if (lock.note) err(lock.note);
    return await fn();
  } finally {
    lock.release();
  }
}

async function runPkiOrLink(command: Extract<Command, { name: 'pki' | 'link' }>, loaded: { fleet: Fleet; modules: Modules }, p: Paths, out: (s: string) => void): Promise<number> {
  const { fleet, modules } = loaded;
  if (command.name === 'link') {
    if (!modules.mesh.link) {
      out(`mesh type ${modules.mesh.type} has nothing to link.`);
      return 0;
    }
    out(await modules.mesh.link.run(fleet, p.pkiDir, process.env.KUBECTL ?? 'kubectl'));
    return 0;
  }
  return pkiCommand(command, fleet, modules, p, out);
}

async function pkiCommand(command: Extract<Command, { name: 'pki' }>, fleet: Fleet, modules: Modules, p: Paths, out: (s: string) => void): Promise<number> {
  const { pkiDir } = p;
  const ca = modules.mesh.ca;
  if (!ca) throw new UsageError(`mesh type ${modules.mesh.type} keeps no CA store: there is nothing for \`pki ${command.action}\` to do`);
  if (existsSync(pkiDir)) assertOwnStore(storeKind(modules.mesh, fleet), otherStores(modules.mesh, fleet), fileReader(pkiDir), displayPath(pkiDir));
  switch (command.action) {
    case 'status': {
      const identities = availableIdentities();
      const checks = await checkKeys(ca.keyPairs(fleet), fileReader(pkiDir), identities, displayPath(pkiDir));
      const rows = withKeyChecks(ca.status(fleet, pkiDir), checks);
      out(formatStatus(rows));
      if (rows.some((r) => r.keyMatch === 'unknown')) {
        out(`\nkey matches "unknown": the encrypted file was written before meshfleet recorded certificate fingerprints${identities ? ' and the identity in SOPS_AGE_KEY_FILE cannot open it' : '; set SOPS_AGE_KEY_FILE to an operator identity to compare by decrypting'} (\`npm run pki -- rekey\` records them).`);
      }
      const bad = rows.filter((r) => needsAttention(r) || r.keyMatch === 'NO');
      const missing = [...missingStoreFiles(ca.files(fleet), fileReader(pkiDir), displayPath(pkiDir)), ...misplaced(ca, fleet, pkiDir, fileReader(pkiDir), displayPath(pkiDir))];
      if (missing.length > 0) out(`\n${missing.length} file(s) the CA store needs are missing or misplaced:${missing.map((l) => `\n  - ${l}`).join('')}`);
      if (bad.length > 0) {
        const label = displayPath(pkiDir);
        out(`\n${bad.length} certificate(s) need attention (missing, not chaining to the root, expiring within ${EXPIRY_WARNING_DAYS} days, or not matching their key):` +
          [...attentionLines(rows, label), ...mismatchLines(checks, label)].map((l) => `\n  - ${l}`).join(''));
        return 1;
      }
      return missing.length > 0 ? 1 : 0;
    }
    case 'revoked':
      out(markRevoked(pkiDir, displayPath(pkiDir), command.cluster!, (writes, deletes) => commitPkiChanges(pkiDir, writes, deletes)));
      return 0;
    default: {
      // issue, rotate, rekey: what a key no longer in the fleet could read goes on the revocation
      // checklist, as when synth re-encrypts (these commands replace the files that show it).
      const pkiLabel = displayPath(pkiDir);
      if (existsSync(pkiDir)) assertPlaced(ca, fleet, pkiDir, fileReader(pkiDir), pkiLabel);
      const rules = ca.sopsRules(fleet, posixPath(relative(p.fleetDir, pkiDir)), posixPath(relative(p.fleetDir, p.outDir)));
      const review = existsSync(pkiDir) ? reviewPki({ fleet, ca, pkiDir, pkiLabel, fleetPath: p.fleetPath, rules }) : undefined;
      // A store already encrypted to fleet.yaml's recipients, with every fingerprint recorded, has
      // nothing to re-encrypt: a second rekey (or one whose interrupted run recovery just completed)
      // says so, rather than decrypting with an identity the files may no longer be encrypted to.
      if (command.action === 'rekey' && review && review.stale.length === 0 && review.revocations.length === 0 &&
        (await checkKeys(ca.keyPairs(fleet), fileReader(pkiDir), undefined, pkiLabel)).every((k) => k.match === 'yes')) {
        out(`every encrypted file in ${pkiLabel} is already encrypted to the recipients fleet.yaml names, with its certificate's fingerprint recorded: nothing to re-encrypt.`);
        return 0;
      }
      out(command.action === 'rekey' ? await ca.rekey(fleet, pkiDir) : await ca.issue(fleet, pkiDir, command.cluster!, command.action === 'rotate'));
      if (review && review.revocations.length > 0) {
        const record = recordRevocations(review);
        commitPkiChanges(pkiDir, record.writes, record.deletes);
        out(reviewReport({ ...review, stale: [], removedLines: [] }, pkiLabel).join('\n'));
      }
      return 0;
    }
  }
}

/** Runs the CLI and returns the exit code; all output goes through the given streams. Never throws. */
export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  const debug = argv.includes('--debug');
  // diff exits 1 for "differences" (like `git diff --exit-code`), so its failures are 2.
  let failCode = 1;
  try {
    const parsed = parseCli(argv.filter((a) => a !== '--debug'));
    if ('help' in parsed) {
      out(parsed.help);
      return 0;
    }
    failCode = parsed.command.name === 'diff' ? 2 : 1;
    return await run(parsed.command, parsed.options, parsed.review, out, err);
  } catch (e) {
    // A wrong command line: exit 2 (for diff too, whose 1 means "differences"), with the command's usage.
    if (e instanceof ArgumentError) {
      err(`error: ${e.message}\n\n${e.command ? COMMAND_HELP[e.command] ?? HELP : HELP}`);
      return 2;
    }
    const failure = e instanceof PartlyWritten ? e.failure : e;
    const what = e instanceof PartlyWritten
      ? `Written before the failure:${e.written.map((w) => `\n  - ${w}`).join('')}\nRun the command again once the cause is fixed: it completes the rest.`
      : 'Nothing was written.';
    err(`error: ${describeError(failure)}\n\n${what}${debug || !(failure instanceof Error) || isExpected(failure) ? '' : ' (Run again with --debug for the stack trace.)'}`);
    if (debug && failure instanceof Error && failure.stack) err(failure.stack);
    return failCode;
  }
}

function isExpected(e: Error): boolean {
  return e instanceof FleetError || e instanceof UsageError;
}

/** One message for anything that can go wrong: what failed, where, and how to fix it, without a stack trace. */
export function describeError(e: unknown): string {
  if (e instanceof FleetError || e instanceof UsageError) return redact(e.message);
  if (e instanceof SchemaError) {
    return `${e.message}\n\nThis is a bug in meshfleet or a value fleet.yaml passes through unchecked; please report it.`;
  }
  const sys = e as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && typeof sys.syscall === 'string') {
    const dest = (sys as { dest?: unknown }).dest;
    const where = (sys.path ? ` ${sys.path}` : '') + (typeof dest === 'string' ? ` -> ${dest}` : '');
    const why: Record<string, string> = {
      ENOENT: 'does not exist',
      EACCES: 'permission denied: check the file and folder permissions',
      EPERM: 'operation not permitted: check the file and folder permissions',
      EISDIR: 'is a folder where a file was expected',
      ENOTDIR: 'a part of the path is a file, not a folder',
      EROFS: 'the file system is read-only',
      ENOSPC: 'no space left on the device',
      EEXIST: 'already exists',
      EXDEV:
        'the two paths are on different file systems (a mount point inside the output folder or the repository): ' +
        'meshfleet stages output beside the folder and renames it in, so keep --out and pki/ plain folders on the repository\'s own file system',
      ELOOP: 'too many symbolic links (a link that points back at itself): replace it with a plain folder or file',
      ENAMETOOLONG: 'the path is longer than the file system allows: use a shorter --out or a shallower folder',
      EBUSY: 'the file or folder is busy (a mount point, or open in another program): unmount it or close the program and run the command again',
      EMFILE: 'too many open files: raise the limit (ulimit -n) and run the command again',
    };
    return `${sys.syscall}${where}: ${why[sys.code] ?? sys.code}`;
  }
  return `unexpected failure: ${redact(e instanceof Error ? e.message : String(e))}`;
}
