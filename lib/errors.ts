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

/** A failure that is not about fleet.yaml's content (missing files, refused output folder...). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
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
