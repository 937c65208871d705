/**
 * The command line: parses argv, finds the command (one file each in this folder), and turns what
 * it throws into one message and an exit code. Every check runs before the first byte is written,
 * so a failing command leaves the disk as it was.
 */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ArgumentError, argumentError, didYouMean, FleetError, PartlyWritten, redact, UsageError } from '../errors';
import { SchemaError } from '../pipeline';
import { checkCommand } from './check';
import { completionCommand } from './completion';
import { schemaCommand } from './schema';
import { helmTemplateCommand } from './helm-template';
import { initCommand } from './init';
import { scanSecretsCommand } from './scan-secrets';
import { FLAGS, type Command, type CommandOptions, type Flag } from './command';
import { diffCommand } from './diff';
import { HELP, versionText } from './help';
import { linkCommand } from './link';
import { pkiCommand } from './pki';
import { preflightCommand } from './preflight';
import { synthCommand } from './synth';
import { upgradeCommand } from './upgrade';

export { HELP };

/** The commands by name; synth when none is named. */
const COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  [synthCommand, diffCommand, checkCommand, pkiCommand, linkCommand, preflightCommand, upgradeCommand, initCommand, scanSecretsCommand, schemaCommand,
    completionCommand(() => Object.values(COMMANDS))].map((c) => [c.name, c]));

/** The command argv names (skipping option values), for the usage an argument error prints. */
function commandOf(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && FLAGS[a.replace(/^-+/, '') as Flag]?.type === 'string') i++;
      continue;
    }
    return a;
  }
  return 'synth';
}

/** README's "Command line" reference: the overview help and each command's, as `--help` prints them. */
export function cliReference(): string {
  const fence = (text: string): string => ['```', text, '```'].join('\n');
  return [fence(HELP), ...Object.values(COMMANDS).flatMap((c) => ['', `#### \`${c.name}\``, '', fence(c.help)])].join('\n');
}

/** Parses argv; throws ArgumentError on unknown options and on another command's flags. Returns the text for --help and --version. */
function parseCli(argv: string[]): { command: Command; args: string[]; options: CommandOptions } | { help: string } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...FLAGS, help: { type: 'boolean', short: 'h', default: false }, version: { type: 'boolean', default: false } },
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch (e) {
    const command = COMMANDS[commandOf(argv)] ?? synthCommand;
    throw argumentError(e as Error, argv, command.name, [...command.flags, 'help', 'version']);
  }
  const [verb, ...args] = parsed.positionals;
  if (parsed.values.help) return { help: verb === undefined ? HELP : COMMANDS[verb]?.help ?? HELP };
  if (parsed.values.version) return { help: versionText() };
  const command = COMMANDS[verb ?? 'synth'];
  if (!command) throw new ArgumentError(`unknown command ${JSON.stringify(verb)}${didYouMean(verb!, Object.keys(COMMANDS))}`);
  // Each command takes only its own flags: a flag another command has is an error, not ignored.
  const given = new Set(parsed.tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : [])));
  const stray = [...given].filter((f) => !(command.flags as readonly string[]).includes(f) && f !== 'help' && f !== 'version');
  if (stray.length > 0) {
    const owners = Object.values(COMMANDS).filter((c) => (c.flags as readonly string[]).includes(stray[0]!)).map((c) => c.name);
    throw new ArgumentError(`${command.name} does not take --${stray[0]}${owners.length > 0 ? ` (that is an option of ${owners.join(', ')})` : ''}`, command.name);
  }
  const v = parsed.values;
  const options: CommandOptions = {
    // --out defaults to dist/ beside the fleet file, as --pki does to pki/: never another fleet's dist/.
    fleet: v.fleet!, out: v.out ?? join(dirname(v.fleet!), 'dist'), check: v.check!, ...(v.pki ? { pki: v.pki } : {}),
    ...(v.base !== undefined ? { base: v.base } : {}), markdown: v.markdown!, strict: v.strict!,
    ...(v.mesh !== undefined ? { mesh: v.mesh } : {}), ...(v.engine !== undefined ? { engine: v.engine } : {}),
    ...(v.clusters !== undefined ? { clusters: v.clusters } : {}), ...(v.operator !== undefined ? { operator: v.operator } : {}),
    clusterKeys: v['cluster-key'] ?? [], force: v.force!, write: v.write!, output: v.output!,
  };
  return { command, args, options };
}

/** Runs the CLI and returns the exit code; all output goes through the given streams. Never throws. */
export async function main(argv: string[], out: (s: string) => void = console.log, err: (s: string) => void = console.error): Promise<number> {
  // helm-template parses its own flags (--charts, --kube-version) and prints its own errors.
  if (argv[0] === 'helm-template') return helmTemplateCommand(argv.slice(1), (s) => out(s.replace(/\n$/, '')), err);
  const debug = argv.includes('--debug');
  // diff exits 1 for "differences" (like `git diff --exit-code`), so its failures are 2.
  let failCode = 1;
  try {
    const parsed = parseCli(argv.filter((a) => a !== '--debug'));
    if ('help' in parsed) {
      out(parsed.help);
      return 0;
    }
    failCode = parsed.command.failCode ?? 1;
    return await parsed.command.run(parsed.args, parsed.options, { out, err });
  } catch (e) {
    // A wrong command line: exit 2 (for diff too, whose 1 means "differences"), with the command's usage.
    if (e instanceof ArgumentError) {
      err(`error: ${e.message}\n\n${(e.command ? COMMANDS[e.command]?.help : undefined) ?? HELP}`);
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
