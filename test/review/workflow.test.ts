/** .github/workflows/meshfleet.yml parses, calls only scripts package.json has, and pins its actions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from '../helpers';

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; if?: string }
interface Workflow { on: Record<string, unknown>; jobs: Record<string, { steps: Step[] }> }

const WORKFLOW = join(ROOT, '.github/workflows/meshfleet.yml');
const SCRIPTS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

/** Every problem of a workflow: `npm run X` of a script that does not exist, an action not pinned to a release. */
export function workflowProblems(text: string, scripts: readonly string[]): string[] {
  const wf = parse(text) as Workflow;
  const problems: string[] = [];
  for (const [job, { steps }] of Object.entries(wf.jobs)) {
    for (const step of steps) {
      if (step.uses && !/^[\w-]+\/[\w-]+@v\d+\.\d+\.\d+$/.test(step.uses)) problems.push(`${job}: ${step.uses} is not pinned to a release (owner/name@vX.Y.Z)`);
      for (const m of (step.run ?? '').matchAll(/\bnpm run(?:\s+--?[\w-]+)*\s+([\w:-]+)/g)) {
        if (!scripts.includes(m[1]!)) problems.push(`${job}: \`npm run ${m[1]}\` names no script in package.json`);
      }
    }
  }
  return problems;
}

describe('.github/workflows/meshfleet.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');
  const wf = parse(text) as Workflow;
  const steps = Object.values(wf.jobs).flatMap((j) => j.steps);
  const runs = steps.map((s) => s.run ?? '').join('\n');

  it('runs on pull requests: npm ci, npm run check, and the markdown diff as the job summary', () => {
    expect(Object.keys(wf.on)).toContain('pull_request');
    expect(runs).toMatch(/^npm ci\b/m);
    expect(runs).toMatch(/^npm run check$/m);
    expect(runs).toContain('npm run --silent diff -- --base "origin/$BASE_REF" --markdown >> "$GITHUB_STEP_SUMMARY"');
    // --base needs the base branch in the clone.
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0);
  });

  it('calls only scripts package.json has, and pins every action to a release', () => {
    expect(workflowProblems(text, SCRIPTS)).toEqual([]);
  });

  it('the checker finds a missing script and an unpinned action (it can fail)', () => {
    const bad = text.replace('run: npm run check', 'run: npm run chekc').replace('actions/checkout@v4.2.2', 'actions/checkout@main');
    expect(workflowProblems(bad, SCRIPTS)).toEqual([
      'fleet: actions/checkout@main is not pinned to a release (owner/name@vX.Y.Z)',
      'fleet: `npm run chekc` names no script in package.json',
    ]);
  });

  it('says which job checks the fleet and which runs the tool\'s tests', () => {
    expect(Object.keys(wf.jobs)).toEqual(['fleet', 'tool']);
    const runsOf = (job: string): string => wf.jobs[job]!.steps.map((s) => s.run ?? '').join('\n');
    expect(runsOf('fleet')).not.toMatch(/npm test/);
    expect(runsOf('tool')).toMatch(/^npm test$/m);
  });
});
