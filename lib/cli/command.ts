/**
 * What a command of the command line is (flux's cmd/flux and cdk8s-cli's cmds/ are the models): a
 * name, the flags it takes, its help, and how it runs. lib/cli/main.ts parses argv, finds the
 * command and turns what it throws into one message and an exit code.
 */
import { ArgumentError } from '../errors';
import type { WorkspaceOptions } from '../pipeline/workspace';

/** Every flag of the command line; each command takes some of them (help, version and debug are everyone's). */
export const FLAGS = {
  fleet: { type: 'string', default: 'fleet.yaml' },
  out: { type: 'string' },
  pki: { type: 'string' },
  check: { type: 'boolean', default: false },
  base: { type: 'string' },
  markdown: { type: 'boolean', default: false },
  strict: { type: 'boolean', default: false },
  mesh: { type: 'string' },
  engine: { type: 'string' },
  clusters: { type: 'string' },
  operator: { type: 'string' },
  'cluster-key': { type: 'string', multiple: true },
  force: { type: 'boolean', default: false },
  write: { type: 'boolean', default: false },
  output: { type: 'string', short: 'o', default: 'text' },
} as const;

export type Flag = keyof typeof FLAGS;

/** The parsed flags, as every command receives them. */
export interface CommandOptions extends WorkspaceOptions {
  /** synth: compare instead of write. */
  readonly check: boolean;
  /** diff: the git ref to compare with; undefined = --out in the working tree. */
  readonly base?: string;
  /** diff: a summary for a pull request comment. */
  readonly markdown: boolean;
  /** check: pending links fail. */
  readonly strict: boolean;
  /** init: the new fleet's mesh type, engine, cluster names, operator recipient, per-cluster recipients (name=age1…), and whether a non-empty folder is fine. */
  readonly mesh?: string;
  readonly engine?: string;
  readonly clusters?: string;
  readonly operator?: string;
  readonly clusterKeys: readonly string[];
  readonly force: boolean;
  /** upgrade plan: apply the next step to fleet.yaml. */
  readonly write: boolean;
  /** diff, check, pki status: `text` (default) or `json` for machines. */
  readonly output: string;
}

/** Whether --output asks for JSON; refuses a value other than text and json. */
export function wantsJson(command: string, options: CommandOptions): boolean {
  if (options.output !== 'text' && options.output !== 'json') throw new ArgumentError(`--output ${JSON.stringify(options.output)}: use text or json`, command);
  return options.output === 'json';
}

/** One JSON document on standard output, as --output json prints it. */
export const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** Where a command prints: standard output and standard error, one message per call. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

export interface Command {
  readonly name: string;
  /** The flags it takes besides --help, --version and --debug. */
  readonly flags: readonly Flag[];
  /** `--help` with the command: usage, what it does, its options. */
  readonly help: string;
  /** The exit code of a failure (diff: 2, since its 1 means "differences"). @default 1 */
  readonly failCode?: number;
  /**
   * Checks the positional arguments (an ArgumentError for a wrong command line) and runs; returns
   * the exit code. Throws FleetError, UsageError or SchemaError for what the user can fix.
   */
  run(args: readonly string[], options: CommandOptions, io: Io): Promise<number>;
}

/** Refuses positional arguments for a command that takes none. */
export function noArguments(command: string, args: readonly string[]): void {
  if (args.length > 0) throw new ArgumentError(`unexpected argument ${JSON.stringify(args[0])}`, command);
}

/** The options every command's help ends with. */
export const COMMON = `  --fleet <file>   the fleet description                       (default: fleet.yaml)
  --pki <dir>      the CA store          (default: pki/ beside the fleet file)
  --debug          on failure, also print the stack trace
  -h, --help       show this help`;
