/** `diff`: what fleet.yaml renders to, compared per cluster, stage and object with the committed output. */
import { ArgumentError, UsageError } from '../errors';
import { engineOwned, prepare, pruneNotices } from '../pipeline';
import { isPem, outTree, pkiAt } from '../pipeline/drift';
import { controlPlaneMoves } from '../pipeline/upgrades';
import { trustMoves } from '../pipeline/rotation';
import { diffTrees, isEmpty } from '../review/diff';
import { formatMarkdown, formatText } from '../review/format';
import { gitRoot, readDiskTree, readGitTree } from '../review/tree';
import type { Tree } from '../contracts/tree';
import { COMMON, json, noArguments, wantsJson, type Command, type CommandOptions } from './command';

export const diffCommand: Command = {
  name: 'diff',
  flags: ['fleet', 'out', 'pki', 'base', 'markdown', 'output'],
  help: `Usage: npm run diff -- [--fleet <file>] [--out <dir>] [--pki <dir>] [--base <ref>] [--markdown]

Renders in memory and compares, per cluster, stage and object, with --out as
it is in the working tree (or at git ref --base): added, removed and changed
objects with their changed fields. Secrets are compared only by what is public.
Exit 0: no difference; 1: differences; 2: failed.

  --out <dir>      the output folder to compare with (default: dist/ beside the
                   fleet file)
  --base <ref>     compare with --out as committed at this git ref
  --markdown       a summary for a pull request comment
  -o, --output json  the diff as one JSON document (secrets masked as in text)
${COMMON}`,
  failCode: 2,
  run(args, options, { out }) {
    noArguments('diff', args);
    return diff(options, out);
  },
};

/** `npm run diff`: exit 0 when nothing differs, 1 when something does. */
async function diff(options: CommandOptions, out: (s: string) => void): Promise<number> {
  const asJson = wantsJson('diff', options);
  if (asJson && options.markdown) throw new ArgumentError('--markdown and --output json are two forms of the same diff: choose one', 'diff');
  const x = await prepare(options, { inMemoryOnly: true, reviewStore: false });
  const root = gitRoot(x.p.outDir);
  let old: Tree;
  let pkiOld: Tree | undefined;
  if (options.base !== undefined) {
    if (!root) throw new UsageError(`--base ${options.base} needs a git repository, and ${options.out} is not in one`);
    old = readGitTree(root, options.base, x.p.outDir, (path) => !engineOwned(path));
    pkiOld = pkiAt(root, options.base, x.p.pkiDir);
  } else {
    old = outTree(x.p.outDir);
    // The committed CA store is the best record of the certificates behind the committed dist/.
    pkiOld = root ? pkiAt(root, 'HEAD', x.p.pkiDir) : undefined;
  }
  const d = diffTrees({ old, new: x.rendered.files, pki: { ...(pkiOld ? { old: pkiOld } : {}), new: readDiskTree(x.p.pkiDir, isPem) } });
  const from = options.base !== undefined ? `${options.out} at ${options.base}` : options.out;
  if (asJson) {
    // Values are as the text form prints them: secrets masked, never a key or ciphertext.
    out(json({ from, to: options.fleet, differences: !isEmpty(d), ...d, deletesOnLiveClusters: pruneNotices(old, x.rendered.files, x.fleet), controlPlaneMoves: controlPlaneMoves(old, x.rendered.files, x.modules),
      trust: trustMoves(old, x.rendered.files, x.modules.mesh.ca?.rootRotation, x.p.pkiDir) }));
    return isEmpty(d) ? 0 : 1;
  }
  out(options.markdown ? formatMarkdown(d, `meshfleet diff: ${from} → ${options.fleet}`) : formatText(d));
  const notices = pruneNotices(old, x.rendered.files, x.fleet);
  if (notices.length > 0) {
    out(options.markdown
      ? ['', '### ⚠️ What this change deletes on live clusters', '', ...notices.map((n) => `- ${n}`)].join('\n')
      : ['', 'What this change deletes on live clusters:', ...notices.map((n) => `  ! ${n}`)].join('\n'));
  }
  const moves = controlPlaneMoves(old, x.rendered.files, x.modules);
  if (moves.length > 0) {
    out(options.markdown
      ? ['', '### Control planes', '', ...moves.map((n) => `- ${n}`)].join('\n')
      : ['', 'Control planes:', ...moves.map((n) => `  ~ ${n}`)].join('\n'));
  }
  const trust = trustMoves(old, x.rendered.files, x.modules.mesh.ca?.rootRotation, x.p.pkiDir);
  if (trust.length > 0) {
    out(options.markdown
      ? ['', '### Trust', '', ...trust.map((n) => `- ${n}`)].join('\n')
      : ['', 'Trust:', ...trust.map((n) => `  ~ ${n}`)].join('\n'));
  }
  return isEmpty(d) ? 0 : 1;
}
