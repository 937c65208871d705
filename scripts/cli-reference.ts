/**
 * `npm run cli-reference`: rewrites README.md's command-line reference (between the
 * cli-reference markers under "## Command line") from the commands' help texts in lib/cli/, so the
 * README says what `--help` says. test/docs.test.ts fails when they differ.
 *
 *   npm run cli-reference [-- --check]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliReference } from '../lib/cli/main';
import { PROJECT_ROOT } from '../lib/root';

export const START = '<!-- cli-reference: generated from lib/cli/ by `npm run cli-reference`; edit the help texts there -->';
export const END = '<!-- /cli-reference -->';

/** README.md with its reference section replaced by what the help texts say now. */
export function withReference(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${cliReference()}\n${readme.slice(end)}`;
}

if (process.argv[1]?.endsWith('cli-reference.ts')) {
  const file = join(PROJECT_ROOT, 'README.md');
  const readme = readFileSync(file, 'utf8');
  const next = withReference(readme);
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      console.error('README.md\'s command-line reference is stale: run `npm run cli-reference`');
      process.exit(1);
    }
  } else if (next !== readme) {
    writeFileSync(file, next);
    console.log('README.md: command-line reference rewritten');
  }
}
