/**
 * User-facing errors. A `Problem` says what is wrong, where (the fleet.yaml path and, when known,
 * line:column), the offending value, the rule and the fix. The CLI prints them and exits 1
 * without a stack trace; nothing is written once any problem exists.
 */

export interface Problem {
  /** Path in fleet.yaml, e.g. `spec.clusters[1].network`; empty for the whole file. */
  readonly path: string;
  /** The offending value as the user wrote it (undefined when the field is missing). */
  readonly value?: unknown;
  /** The rule that was broken. */
  readonly rule: string;
  /** What to do about it. */
  readonly fix: string;
  /** 1-based line:column in the file, when the value has a position. */
  readonly position?: string;
}

/** Invalid input: one or more problems in a named file. */
export class FleetError extends Error {
  constructor(
    readonly file: string,
    readonly problems: readonly Problem[],
  ) {
    super(formatProblems(file, problems));
    this.name = 'FleetError';
  }
}

/**
 * A failure after a command had already written something (a new CA store, a re-encrypted file):
 * "Nothing was written" would not be true, so the CLI lists `written` instead.
 */
export class PartlyWritten extends Error {
  constructor(
    readonly failure: unknown,
    readonly written: readonly string[],
  ) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.name = 'PartlyWritten';
  }
}

/** A failure that is not about fleet.yaml's content (missing files, refused output folder...). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A wrong command line (unknown command or option, a missing or extra argument): exit 2, with the
 * command's own usage. `command` is the command it was meant for, when one was named.
 */
export class ArgumentError extends UsageError {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'ArgumentError';
  }
}

/** The candidate closest to `word` (edit distance ≤ 2, or a prefix of one another), for "did you mean". */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const distance = (a: string, b: string): number => {
    let row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const next = [i];
      for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      row = next;
    }
    return row[b.length]!;
  };
  const scored = candidates.map((c) => ({ c, d: word.length >= 3 && (c.startsWith(word) || word.startsWith(c)) ? 0.5 : distance(word, c) }));
  const best = scored.filter((x) => x.d <= 2).sort((a, b) => a.d - b.d || (a.c < b.c ? -1 : 1))[0];
  return best?.c;
}

export const didYouMean = (word: string, candidates: readonly string[], prefix = ''): string => {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean ${prefix}${c}?)`;
};

/**
 * node:util parseArgs' errors in meshfleet's words (what, the value, the fix), for `command`,
 * whose options are `flags` (without dashes).
 */
export function argumentError(e: Error & { code?: string }, argv: readonly string[], command: string, flags: readonly string[]): ArgumentError {
  const named = /'(-{1,2}[^' =]+)/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new ArgumentError(`unknown option ${named} for ${command}${didYouMean(named.replace(/^-+/, ''), flags, '--')}`, command);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(e.message)) return new ArgumentError(`${named} takes no value (write ${named} alone)`, command);
    const next = argv[argv.indexOf(named) + 1];
    if (next !== undefined && next.startsWith('-')) {
      return new ArgumentError(`${named} needs a value, and ${JSON.stringify(next)} after it looks like an option: write ${named}=${next} if that is the value`, command);
    }
    return new ArgumentError(`${named} needs a value`, command);
  }
  return new ArgumentError(e.message, command);
}

export function formatProblems(file: string, problems: readonly Problem[]): string {
  const head = `${file} is not valid (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):`;
  const body = problems.map((p) => {
    const where = `${file}${p.position ? `:${p.position}` : ''}  ${p.path || '(top level)'}`;
    const lines = [`  ${where}`];
    if (p.value !== undefined) lines.push(`    value: ${showValue(p.value)}`);
    lines.push(`    rule:  ${p.rule}`, `    fix:   ${p.fix}`);
    return lines.join('\n');
  });
  return [head, '', body.join('\n\n')].join('\n');
}

/** An age identity (secret key): named, never printed, so it cannot reach a terminal or a CI log. */
const AGE_SECRET_KEY = /AGE-SECRET-KEY-1[0-9A-Z]+/g;

export function redact(text: string): string {
  return text.replace(AGE_SECRET_KEY, 'AGE-SECRET-KEY-1… (an age secret key: not shown)');
}

/** Renders a value compactly, the way it reads in YAML, with secrets named instead of shown. */
export function showValue(value: unknown): string {
  const raw = JSON.stringify(value);
  const text = raw === undefined ? raw : redact(raw);
  if (text === undefined) return String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
