/** `upgrade plan <mesh> <version>`: an upgrade as fleet.yaml edits, one pull request per step; --write applies the next. */
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { isScalar, parseDocument, visit, type Document } from 'yaml';
import { ArgumentError, UsageError } from '../errors';
import type { FleetOp, PlanEdit } from '../contracts/upgrade';
import type { RawFleet } from '../fleet/types';
import { writeFilesAtomically } from '../output/write';
import { loadFleetWithModules } from '../pipeline/load';
import { paths } from '../pipeline/workspace';
import type { Command } from './command';

const USAGE = 'npm run upgrade -- plan <mesh> <version> [--write] [--fleet <file>]';
/** More steps than any plan has: a planner that does not converge is a bug, said as such. */
const MAX_STEPS = 32;

function apply(doc: Document, ops: readonly FleetOp[]): void {
  for (const op of ops) {
    if (op.op === 'delete') doc.deleteIn(op.path);
    else {
      const node = doc.createNode(op.value);
      // Versions as quoted strings, as fleet.yaml's reference writes them ("1.30" unquoted is a number).
      visit(node, { Scalar: (_k, s) => { if (isScalar(s) && typeof s.value === 'string') s.type = 'QUOTE_DOUBLE'; } });
      doc.setIn(op.path, node);
    }
  }
}

const describeOp = (op: FleetOp): string => (op.op === 'delete' ? `remove ${op.path.join('.')}` : `set ${op.path.join('.')}: ${JSON.stringify(op.value)}`);

export const upgradeCommand: Command = {
  name: 'upgrade',
  flags: ['fleet', 'write'],
  help: `Usage: ${USAGE}

Prints the steps of an upgrade as fleet.yaml edits, one pull request each, from
fleet.yaml as it is: for Istio a canary by revision (add the new revision
beside the running one, move the canary tag, move stable cluster by cluster,
remove the old revision). Between steps: npm run synth, review npm run diff,
commit, let every cluster sync, restart what dist/README.md "Upgrading" lists.

  --write          apply the next step to fleet.yaml (and nothing else)
  --fleet <file>   the fleet description (default: fleet.yaml)`,
  async run(args, options, { out }) {
    const [verb, mesh, target, ...rest] = args;
    if (verb !== 'plan' || !mesh || !target || rest.length > 0) throw new ArgumentError(`usage: ${USAGE}`, 'upgrade');
    const p = paths(options);
    const text = readFileSync(p.fleetPath, 'utf8');
    const { modules } = loadFleetWithModules(text, options.fleet);
    if (modules.mesh.type !== mesh) throw new UsageError(`${options.fleet} runs mesh type ${modules.mesh.type}, not ${mesh}: plan an upgrade of ${modules.mesh.type}`);
    if (!modules.mesh.upgradePlan) throw new UsageError(`meshfleet plans no upgrade of ${mesh}: change its version in ${options.fleet} (dist/README.md, "Upgrading")`);
    const doc = parseDocument(text);
    const steps: PlanEdit[] = [];
    for (;;) {
      const plan = modules.mesh.upgradePlan(doc.toJS() as RawFleet, target);
      if ('error' in plan) throw new UsageError(`cannot plan ${mesh} ${target}: ${plan.error.rule}; ${plan.error.fix}`);
      if (!plan.next) break;
      steps.push(plan.next);
      if (plan.next.blocked || options.write) break;
      if (steps.length >= MAX_STEPS) throw new Error(`the ${mesh} upgrade plan did not finish within ${MAX_STEPS} steps`);
      apply(doc, plan.next.ops);
      // Every step must be a fleet check passes on; one that is not is refused before anyone commits it.
      loadFleetWithModules(doc.toString(), `${options.fleet} after step ${steps.length}`);
    }
    if (steps.length === 0) {
      out(`${options.fleet} runs only ${mesh} ${target}: nothing to do.`);
      return 0;
    }
    if (steps[0]!.blocked) throw new UsageError(`cannot plan ${mesh} ${target}: ${steps[0]!.effect}`);
    if (options.write) {
      const step = steps[0]!;
      apply(doc, step.ops);
      loadFleetWithModules(doc.toString(), options.fleet);
      writeFilesAtomically(dirname(p.fleetPath), new Map([[basename(p.fleetPath), doc.toString()]]));
      out(`${options.fleet}: ${step.title} (${step.ops.map(describeOp).join('; ')}).\n${step.effect}.\n` +
        `next: npm run synth, review npm run diff, commit and push; once every cluster has synced, run the plan again.`);
      return 0;
    }
    out([`${mesh} ${target}: ${steps.length} step(s), one pull request each (apply the next with --write):`, '',
      ...steps.flatMap((s, i) => [`${i + 1}. ${s.title}`, `   fleet.yaml: ${s.ops.map(describeOp).join('; ')}`, `   then: ${s.effect}`])].join('\n'));
    return 0;
  },
};
