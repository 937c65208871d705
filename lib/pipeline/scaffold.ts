/**
 * A new fleet repository (`meshfleet init`): fleet.yaml for the mesh type and engine asked, the
 * package.json that pins this meshfleet, .gitignore, .sops.yaml, fleet.schema.json for editors and a
 * CI workflow that checks that fleet. Everything it writes loads, checks and renders as it is; the placeholders (API servers,
 * the git URL, gateway addresses from RFC 5737's documentation range) are said to be placeholders.
 */
import { stringify } from 'yaml';
import { sopsConfig } from '../sops/config';
import { fleetSchemaFor, loadFleetWithModules } from './load';
import { MESHES } from '../mesh/registry';
import { ENGINES } from '../gitops/registry';

export interface ScaffoldInput {
  /** The fleet's metadata.name and the package's name. */
  readonly name: string;
  readonly mesh: string;
  readonly engine: string;
  readonly clusters: readonly string[];
  /** The operator's age recipient. */
  readonly operator: string;
  /** Each cluster's age recipient, by name. */
  readonly recipients: Readonly<Record<string, string>>;
  /** The meshfleet version the repository pins. */
  readonly version: string;
}

export const MESH_TYPES = (): string[] => Object.keys(MESHES);
export const ENGINE_NAMES = (): string[] => Object.keys(ENGINES);

/** fleet.yaml's JSON Schema for a mesh type as a document editors read (`meshfleet schema`, fleet.schema.json). */
export function fleetSchemaDocument(mesh: string | undefined): string {
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', ...fleetSchemaFor(mesh) }, null, 2);
}

/** fleet.yaml of a new fleet. */
export function scaffoldFleet(input: ScaffoldInput): string {
  const mesh = MESHES[input.mesh]!;
  const clusters = input.clusters.map((name, i) => ({
    name,
    context: name,
    apiServer: `https://${name}.example.com:6443`,
    ageRecipient: input.recipients[name]!,
    // The gateway's address, and a MetalLB pool that gives its Service exactly that address.
    ...(mesh.noGateway ? {} : { gateway: { address: `192.0.2.${10 + i}` }, metallb: { addresses: [`192.0.2.${10 + i}/32`] } }),
    ...(mesh.scaffoldCluster?.(i) ?? {}),
  }));
  const doc = {
    apiVersion: 'meshfleet.io/v1alpha1',
    kind: 'Fleet',
    metadata: { name: input.name },
    spec: {
      gitops: { engine: input.engine, repoURL: `https://git.example.com/platform/${input.name}.git` },
      secrets: { operators: [input.operator] },
      mesh: { type: input.mesh },
      clusters,
      samples: { enabled: true },
    },
  };
  return `# yaml-language-server: $schema=./fleet.schema.json
# Written by \`meshfleet init\` (meshfleet ${input.version}). Replace the placeholders before the first
# bootstrap: spec.gitops.repoURL (this repository), each cluster's context (its kubeconfig context),
# apiServer, and gateway.address / metallb.addresses (192.0.2.x is a documentation range). Every
# field, its default and its rule: meshfleet's README, "fleet.yaml reference".
${stringify(doc, { lineWidth: 0 })}`;
}

/** Every file of the new repository (path → content), keys excluded; the fleet is checked first. */
export function scaffoldFiles(input: ScaffoldInput): Map<string, string> {
  const fleetText = scaffoldFleet(input);
  const { fleet, modules } = loadFleetWithModules(fleetText, 'fleet.yaml');
  const files = new Map<string, string>();
  files.set('fleet.yaml', fleetText);
  files.set('package.json', `${JSON.stringify({
    name: input.name,
    private: true,
    description: `The ${input.name} fleet: rendered by meshfleet into dist/, applied by ${input.engine === 'argocd' ? 'Argo CD' : 'Flux'}.`,
    scripts: { synth: 'meshfleet synth', diff: 'meshfleet diff', check: 'meshfleet check', pki: 'meshfleet pki', link: 'meshfleet link', preflight: 'meshfleet preflight', 'scan-secrets': 'meshfleet scan-secrets', schema: 'meshfleet schema > fleet.schema.json' },
    devDependencies: { meshfleet: input.version },
    engines: { node: '>=20.19' },
  }, null, 2)}\n`);
  files.set('.gitignore', [
    'node_modules/',
    '# age identities and other private keys: never in git (meshfleet keeps keys only SOPS-encrypted)',
    '*.agekey',
    '.keys/',
    '# what an interrupted meshfleet command leaves, and the lock of the one running now',
    '*.meshfleet-staging*/',
    '*.meshfleet-tmp',
    '.meshfleet-txn/',
    '.meshfleet.lock',
    '.meshfleet.lock.takeover',
    '',
  ].join('\n'));
  files.set('.sops.yaml', sopsConfig(modules.mesh.ca?.sopsRules(fleet, 'pki', 'dist') ?? []));
  files.set('.github/workflows/meshfleet.yml', workflow());
  // For editors (the first line of fleet.yaml points at it); `npm run schema` refreshes it after an upgrade.
  files.set('fleet.schema.json', `${fleetSchemaDocument(input.mesh)}\n`);
  return files;
}

/** CI for the fleet: the diff as the job summary, then check and scan-secrets; not meshfleet's own tests. */
function workflow(): string {
  return `# CI for this fleet: every pull request shows what each cluster will get (the semantic diff, as
# the job summary) and is refused when dist/ is not what fleet.yaml renders to, an object fails its
# schema, a certificate expires within 30 days, .sops.yaml is stale, or a key is in the clear.
name: fleet

on:
  pull_request:
  push:
    branches: [main]

permissions:
  contents: read

jobs:
  check:
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    steps:
      - uses: actions/checkout@v4.2.2
        with:
          fetch-depth: 0 # meshfleet diff --base reads the base branch's dist/ from git

      - uses: actions/setup-node@v4.4.0
        with:
          node-version: 20.19.0
          cache: npm

      - name: Install the pinned meshfleet
        run: npm ci --no-audit --no-fund

      - name: What this pull request changes, per cluster (job summary)
        if: github.event_name == 'pull_request'
        env:
          BASE_REF: \${{ github.base_ref }}
        run: |
          set +e
          npx meshfleet diff --base "origin/$BASE_REF" --markdown >> "$GITHUB_STEP_SUMMARY"
          code=$?
          # 0 = no difference, 1 = differences (the usual case for a pull request), 2 = failed
          [ "$code" -le 1 ]

      - name: dist/ is what fleet.yaml renders to; schemas, certificates, .sops.yaml
        run: npx meshfleet check

      - name: No private key or token in the clear
        run: npx meshfleet scan-secrets
`;
}
