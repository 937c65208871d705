/** `init [dir]`: a fleet repository of its own, which pins this meshfleet and checks its own fleet. */
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { ArgumentError, didYouMean, UsageError } from '../errors';
import { displayPath } from '../format/paths';
import { recipientProblem } from '../format/recipients';
import { writeFilesAtomically } from '../output/write';
import { ENGINE_NAMES, MESH_TYPES, scaffoldFiles } from '../pipeline/scaffold';
import { meshfleetVersion } from '../root';
import type { Command, CommandOptions } from './command';

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const initCommand: Command = {
  name: 'init',
  flags: ['mesh', 'engine', 'clusters', 'operator', 'cluster-key', 'force'],
  help: `Usage: meshfleet init [<dir>] --clusters <a,b,…> [--mesh istio|linkerd|cilium|none]
       [--engine flux|argocd] [--operator <age1…>] [--cluster-key <name>=<age1…>]… [--force]

Scaffolds a fleet repository in <dir> (default: the current folder): fleet.yaml
for the mesh type and engine asked, package.json pinning this meshfleet (scripts
synth, diff, check, pki, link, scan-secrets), .gitignore, .sops.yaml and a CI
workflow that checks that fleet. Without --operator and --cluster-key it makes
the age keys itself, into <dir>/.keys/ (git-ignored), and says where each goes.
Refuses a folder that is not empty, unless --force.

  --clusters <list>      the clusters' names, comma-separated (required)
  --mesh <type>          istio, linkerd, cilium or none      (default: istio)
  --engine <name>        flux or argocd                      (default: flux)
  --operator <age1…>     the operator's age public key
  --cluster-key <n>=<k>  a cluster's age public key (once per cluster)
  --force                write into a folder that is not empty
  -h, --help             show this help`,
  async run(args, options, { out }) {
    if (args.length > 1) throw new ArgumentError(`unexpected argument ${JSON.stringify(args[1])}`, 'init');
    const dir = resolve(args[0] ?? '.');
    out(await init(dir, options));
    return 0;
  },
};

async function init(dir: string, options: CommandOptions): Promise<string> {
  const usage = (what: string): ArgumentError => new ArgumentError(what, 'init');
  const mesh = options.mesh ?? 'istio';
  const engine = options.engine ?? 'flux';
  if (!MESH_TYPES().includes(mesh)) throw usage(`--mesh ${JSON.stringify(mesh)} is not a mesh type: use one of ${MESH_TYPES().join(', ')}${didYouMean(mesh, MESH_TYPES())}`);
  if (!ENGINE_NAMES().includes(engine)) throw usage(`--engine ${JSON.stringify(engine)} is not a GitOps engine: use one of ${ENGINE_NAMES().join(', ')}${didYouMean(engine, ENGINE_NAMES())}`);
  if (!options.clusters) throw usage('init needs --clusters a,b,… (the clusters\' names)');
  const clusters = options.clusters.split(',').map((c) => c.trim()).filter(Boolean);
  const bad = clusters.find((c) => !NAME.test(c));
  if (bad !== undefined) throw usage(`--clusters: ${JSON.stringify(bad)} is not a cluster name (lower-case letters, digits and '-', at most 63)`);
  if (new Set(clusters).size !== clusters.length) throw usage('--clusters names a cluster twice');
  const given: Record<string, string> = {};
  for (const entry of options.clusterKeys) {
    const [name, key] = entry.split('=', 2) as [string, string | undefined];
    if (!key || !clusters.includes(name)) throw usage(`--cluster-key ${JSON.stringify(entry)}: write <cluster>=<age1…> for one of ${clusters.join(', ')}`);
    given[name] = key;
  }
  for (const [who, key] of [['--operator', options.operator], ...Object.entries(given).map(([n, k]) => [`--cluster-key ${n}`, k])] as [string, string | undefined][]) {
    const problem = key === undefined ? undefined : recipientProblem(key);
    if (problem) throw usage(`${who}: ${JSON.stringify(key)} ${problem}`);
  }
  if (existsSync(dir) && (!statSync(dir).isDirectory() || (readdirSync(dir).length > 0 && !options.force))) {
    throw new UsageError(`${displayPath(dir)} is ${statSync(dir).isDirectory() ? 'not empty' : 'not a folder'}: init writes a new fleet repository; pass an empty or new folder${statSync(dir).isDirectory() ? ', or --force to write into this one (files of the same name are replaced)' : ''}`);
  }
  const name = basename(dir).toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '') || 'fleet';
  const version = meshfleetVersion();

  // Keys not given are made here: a placeholder would have the first synth encrypt the CA store
  // to keys nobody holds.
  const made = new Map<string, string>();
  const keyOf = async (who: string, key: string | undefined): Promise<string> => {
    if (key) return key;
    const identity = await generateX25519Identity();
    made.set(who, identity);
    return identityToRecipient(identity);
  };
  const operator = await keyOf('operator', options.operator);
  const recipients: Record<string, string> = {};
  for (const c of clusters) recipients[c] = await keyOf(c, given[c]);

  const files = scaffoldFiles({ name, mesh, engine, clusters, operator, recipients, version });
  mkdirSync(dir, { recursive: true });
  writeFilesAtomically(dir, files);
  if (made.size > 0) {
    mkdirSync(join(dir, '.keys'), { recursive: true, mode: 0o700 });
    writeFilesAtomically(join(dir, '.keys'), new Map([...made].map(([who, id]) => [`${who}.agekey`, `${id}\n`])));
    for (const who of made.keys()) chmodSync(join(dir, '.keys', `${who}.agekey`), 0o600);
  }
  const at = displayPath(dir);
  const steps = [
    `wrote a ${mesh} fleet for ${engine === 'argocd' ? 'Argo CD' : 'Flux'} with ${clusters.length} cluster(s) (${clusters.join(', ')}) into ${at}: ${[...files.keys()].join(', ')}`,
    '',
    'Next:',
  ];
  if (made.size > 0) {
    steps.push(`- The age keys init made are in ${at}/.keys/ (git-ignored; \`age-keygen -o <name>.agekey\` makes the same kind): ` +
      `move operator.agekey to where your operators keep secrets and point SOPS_AGE_KEY_FILE at it for \`npm run pki\`; ` +
      'each cluster\'s key goes into that cluster only, as its sops-age Secret (dist/README.md, "Bootstrap"), then delete the file.');
  }
  steps.push(
    `- Edit ${at}/fleet.yaml: spec.gitops.repoURL, each cluster's context, apiServer and gateway addresses are placeholders.`,
    `- In ${at}: git init, \`npm install\` (it installs meshfleet ${version}, which package.json pins), \`npm run synth\` (it creates pki/, the CA store), commit and push, then follow dist/README.md.`,
    '- To upgrade meshfleet later: bump the pinned version, `npm install`, `npm run synth`, review `npm run diff`.',
  );
  return steps.join('\n');
}
