/** The command line's overview help (`--help` without a command) and `--version`. */
import { ADDONS } from '../addons/registry';
import { ENGINES } from '../gitops/registry';
import { MESHES } from '../mesh/registry';
import { meshfleetVersion } from '../root';

export const HELP = `Usage: npm run synth -- [options]
       npm run diff -- [--base <git ref>] [--markdown] [options]
       npm run check -- [--strict] [options]
       npm run pki -- <status|issue <cluster>|rotate <cluster>|rekey|revoked <holder>|rotate-root <phase>|rotate-tokens <phase>> [options]
       npm run link -- [options]
       npm run preflight -- [-o json] [--fleet <file>]
       meshfleet <command> [options]      (the installed tool: the same commands,
                                           and init, scan-secrets, helm-template)

synth renders fleet.yaml into per-cluster GitOps folders for Flux or Argo CD
(spec.gitops.engine). The first synth in a repository without pki/ creates
the CA store (root + one intermediate per cluster, keys SOPS-encrypted to the
age recipients).

pki status           table of the CA certificates; exit 1 if one expires
                     within 30 days, is missing, does not chain to the root
                     or does not match its private key
pki issue <cluster>  a CA for a cluster added to the fleet (Istio: intermediate
                     CA; Linkerd: identity issuer)
pki rotate <cluster> a new CA for a cluster
pki rekey            re-encrypt pki/ to the recipients fleet.yaml names now
                     (issue, rotate and rekey need SOPS_AGE_KEY_FILE: an
                     operator's age identity)
pki revoked <holder> the revocation checklist of a cluster (or "operator <n>",
                     or an age recipient) that left the fleet is done: drop it
                     from pki/revocations.yaml and dist/README.md
pki rotate-root begin|next [<cluster>]|finish|status
                     replace the root of trust in three committed phases:
                     every cluster trusts old and new, each is re-issued,
                     then the old root goes; nothing stops meanwhile
pki rotate-tokens begin|finish|status
                     rotate the link credentials in two committed phases: a
                     second token beside the first, \`link\`, then the first goes
link                 read what each cluster's peers need from it (Istio: reader
                     token; Linkerd: remote-access token, gateway address)
                     through its kubeconfig context; write pki/links/
preflight            before the first synth is applied: each cluster, read
                     through its context (get and version calls only),
                     against what fleet.yaml assumes (Kubernetes version,
                     CNI, LoadBalancer addresses, MetalLB, an existing
                     mesh): ok, warn or fail with the fix; exit 1 on a fail
upgrade plan <mesh> <version>
                     an upgrade as fleet.yaml edits, one pull request per
                     step (Istio: a canary by revision); --write applies the
                     next
diff                 render in memory and compare, per cluster, stage and
                     object, with --out as committed (or as it is at --base):
                     added, removed, changed fields with old -> new values;
                     secrets only by what is public (certificate subject,
                     serial, expiry); exit 0 no difference, 1 differences
init [<dir>]         scaffold a fleet repository of its own (see init --help)
scan-secrets         no private key or token in the clear in a tracked file
schema               the JSON Schema of fleet.yaml, for editors
completion bash|zsh  shell completion of the commands and their flags
helm-template        what Helm renders for a cluster's releases (see its --help)
check                everything CI needs, in one command: --out is what synth
                     renders (objects and fields), every object passes its
                     schema, no certificate expires within 30 days, .sops.yaml
                     is current, pki/ is encrypted to exactly fleet.yaml's
                     keys; pending links, a mesh release past its upstream
                     end of life and a certificate ending within 90 days warn
                     (fail with --strict)

Options:
  --fleet <file>   the fleet description                       (default: fleet.yaml)
  --out <dir>      the output folder, inside the git repository
                   the GitOps engine syncs    (default: dist/ beside the fleet file)
  --pki <dir>      the CA store          (default: pki/ beside the fleet file)
  --check          synth only: render in memory and compare with --out and
                   .sops.yaml; exit 1 and list the objects that differ
  --base <ref>     diff only: compare with --out at this git ref
                   (default: --out in the working tree)
  --markdown       diff only: a summary for a pull request comment
  --strict         check only: pending links and end-of-life releases fail too
  -o, --output json  diff, check, preflight and pki status: one JSON
                   document on stdout
  --debug          on failure, also print the stack trace
  --version        meshfleet's version and the versions it pins
  -h, --help       show this help (with a command: that command's help)

Relative paths are taken from the folder the command was started in (with
npm run, the folder npm was started in), not from the repository's root.

Exit codes: 0 done (or, with --check, up to date); 1 invalid input, refused
output folder, --check found drift, or a failed command; 2 a wrong command
line (unknown command or option, a missing value: the command's usage is
printed, with "did you mean" for a near miss). On exit 1 or 2 nothing on
disk has changed. diff: 0 no difference, 1 differences, 2 failed.

The output folder holds exactly what fleet.yaml describes: files of clusters
that left the fleet are removed; clusters/<cluster>/flux-system/ (written by
\`flux bootstrap\`) is never written, removed or read.

One writing command at a time: synth, pki issue|rotate|rekey|rotate-root|rotate-tokens and link take
.meshfleet.lock beside the fleet file (a second one refuses, naming the
first) and first complete or roll back a pki/ change that a killed command
left. synth --check, check, diff and pki status only read: they report such
a change and name the command that repairs it.

When a cluster leaves or a key changes, synth also removes the cluster's
pki/ files (git history keeps them) and re-encrypts every pki/ file a former
key can read, which needs SOPS_AGE_KEY_FILE (without it synth refuses and
names the files; --check and check fail the same way). What the former key
could read that stays valid on the live clusters is recorded in
pki/revocations.yaml and listed in dist/README.md until \`pki revoked\`.`;

/** `--version`: meshfleet's own version and everything it pins. */
export function versionText(): string {
  const rows: [string, string][] = [];
  const add = (pins: Readonly<Record<string, string>> | undefined): void => {
    for (const [k, v] of Object.entries(pins ?? {})) rows.push([k, v]);
  };
  for (const mesh of Object.values(MESHES)) add(mesh.pins);
  for (const engine of Object.values(ENGINES)) add(engine.pins);
  for (const addon of ADDONS) add(addon.pins);
  const width = Math.max(...rows.map(([k]) => k.length));
  return [`meshfleet ${meshfleetVersion()} (fleet API meshfleet.io/v1alpha1)`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)].join('\n');
}
