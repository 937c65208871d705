/** `check`: every reason CI should refuse a pull request, each with its fix. */
import { displayPath } from '../format/paths';
import { prepare, SchemaError, validate } from '../pipeline';
import { driftLines, outTree, pendingLinks, sopsStale } from '../pipeline/drift';
import { endOfLifeLine } from '../contracts/support';
import { deliveredByObjects, deliveredTrust } from '../pipeline/rotation';
import { fileReader } from '../pki/files';
import { storeTrustOf, trustProofs } from '../pki/rotation';
import { attentionLines, EXPIRY_WARNING_DAYS, rotationNotices } from '../pki/status';
import { COMMON, json, noArguments, wantsJson, type Command, type CommandOptions } from './command';

export const checkCommand: Command = {
  name: 'check',
  flags: ['fleet', 'out', 'pki', 'strict', 'output'],
  help: `Usage: npm run check -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--strict]

Everything CI needs: --out is what synth renders (objects and fields), every
object passes its schema, no certificate expires within 30 days, .sops.yaml is
current, every pki/ file is readable by exactly the keys fleet.yaml names and
no removed cluster's files remain. Pending links, a mesh release past its
upstream end of life and a certificate ending within 90 days are warnings,
or failures with --strict; pending revocations are a warning.

  --out <dir>      the output folder to check (default: dist/ beside the fleet file)
  --strict         pending links, end-of-life releases and certificates to
                   rotate fail too
  -o, --output json  problems and warnings as one JSON document on stdout
${COMMON}`,
  run(args, options, { out, err }) {
    noArguments('check', args);
    return check(options, out, err);
  },
};

/** `npm run check`: every reason CI should refuse a pull request, each with its fix. */
async function check(options: CommandOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const x = await prepare(options, { inMemoryOnly: true, validateSchemas: false });
  const problems: string[] = [];
  const warnings = [...x.warnings];
  try {
    validate(x.rendered);
  } catch (e) {
    if (!(e instanceof SchemaError)) throw e;
    problems.push(`objects fail their schema (a bug in meshfleet, or a value fleet.yaml passes through unchecked: fix that value; otherwise report it):\n${e.failures.map((f) => `    ${f}`).join('\n')}`);
  }
  const onDisk = outTree(x.p.outDir);
  const drift = driftLines(onDisk, x.rendered);
  if (drift.length > 0) {
    problems.push(`${options.out} is not what ${options.fleet} renders to (a stale or hand-edited ${options.out}: run \`npm run synth\` and commit the result); compared with the rendering, ${options.out} has:\n${drift.map((l) => `  ${l}`).join('\n')}`);
  }
  if (sopsStale(x.sopsPath, x.sopsText)) {
    problems.push(`${displayPath(x.sopsPath)} is not what ${options.fleet} implies (run \`npm run synth\` and commit it)`);
  }
  const ca = x.modules.mesh.ca;
  if (ca) {
    const rows = ca.status(x.fleet, x.p.pkiDir);
    for (const line of rotationNotices(rows, displayPath(x.p.pkiDir))) (options.strict ? problems : warnings).push(line);
    const bad = attentionLines(rows, displayPath(x.p.pkiDir));
    if (bad.length > 0) {
      problems.push(`certificate(s) missing, not chaining to the root, or expiring within ${EXPIRY_WARNING_DAYS} days (fix each as it says, then \`npm run synth\`):\n` +
        bad.map((l) => `    ${l}`).join('\n'));
    }
  }
  // The root of trust, proved offline in every phase of a rotation (and outside one).
  const rr = ca?.rootRotation;
  const read = fileReader(x.p.pkiDir);
  const trust = rr ? storeTrustOf(rr, read, displayPath(x.p.pkiDir)) : undefined;
  if (rr && trust) {
    // What the output delivers: the rendering's own objects when the folder is what it renders to.
    const delivered = drift.length === 0 ? deliveredByObjects(x.rendered.emitted, rr) : deliveredTrust(onDisk, rr);
    const proofs = trustProofs(x.fleet, read, rr, trust, delivered, displayPath(x.p.pkiDir), options.out!);
    if (proofs.problems.length > 0) problems.push(`the fleet's trust does not hold together:\n${proofs.problems.map((l) => `    ${l}`).join('\n')}`);
    for (const w of proofs.warnings) (options.strict ? problems : warnings).push(w);
  }
  const pending = pendingLinks(x.modules.mesh, x.fleet, x.pki).trim();
  if (pending) (options.strict ? problems : warnings).push(pending);
  // Support windows: the one check that depends on today's date (synth's output never does).
  const today = new Date();
  for (const release of x.modules.mesh.releasesInUse?.(x.fleet) ?? []) {
    const line = endOfLifeLine(release, today);
    if (line) (options.strict ? problems : warnings).push(line);
  }
  const revocations = x.pendingRevocations.filter((l) => l.startsWith('### ')).map((l) => l.slice(4));
  if (revocations.length > 0) {
    warnings.push(`${revocations.length} revocation(s) pending (${revocations.join('; ')}): do the steps in ${options.out}/README.md ("Pending revocations"), then \`npm run pki -- revoked <holder>\``);
  }
  if (wantsJson('check', options)) {
    out(json({ passed: problems.length === 0, problems, warnings }));
    return problems.length === 0 ? 0 : 1;
  }
  for (const w of warnings) err(`warning: ${w}`);
  if (problems.length > 0) {
    err(`check failed: ${problems.length} problem(s)\n${problems.map((p, i) => `${i + 1}. ${p}`).join('\n')}`);
    return 1;
  }
  out(`check passed: ${options.out} is what ${options.fleet} renders to, every object passes its schema, certificates are valid for more than ${EXPIRY_WARNING_DAYS} days, .sops.yaml is current`);
  return 0;
}
