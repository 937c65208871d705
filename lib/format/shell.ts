/**
 * Shell words for the commands dist/README.md prints: a value is written as is when the shell
 * would read it as one plain word, and single-quoted otherwise. fleet.yaml's values are validated
 * first; quoting here means no value can ever become shell syntax in a copied command.
 */
const PLAIN = /^[A-Za-z0-9._:@/+=,%-]+$/;

export function shellWord(value: string): string {
  return PLAIN.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `--flag=value` with the value quoted as needed. */
export function shellFlag(flag: string, value: string): string {
  return `${flag}=${shellWord(value)}`;
}
