/**
 * `npm run preflight` against a fake kubectl (KUBECTL) that answers from recorded JSON per context
 * and argument pattern, and records the calls: nothing but version and get may be asked.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFleetWithModules } from '../../lib/pipeline';
import { compareCluster, imageVersion, type Observed } from '../../lib/pipeline/preflight';
import { DEFAULT_FLEET, editFleet, runCli, tempDir } from '../helpers';

type Answers = Record<string, Record<string, unknown>>;

const list = (...items: unknown[]): unknown => ({ apiVersion: 'v1', kind: 'List', items });
const version = (git: string): unknown => ({ clientVersion: { gitVersion: 'v1.32.0' }, serverVersion: { major: '1', minor: git.split('.')[1], gitVersion: git } });
const workload = (name: string, container: string, image: string, release?: string): unknown => ({
  metadata: { name, ...(release ? { annotations: { 'meta.helm.sh/release-name': release } } : {}) },
  spec: { template: { spec: { containers: [{ name: container, image }] } } },
});
const nodes = (providerID?: string): unknown => list({ metadata: { name: 'node-1' }, spec: providerID ? { providerID } : {} });

/** examples/kpaas-csp.yaml's contexts as their clusters answer when everything is as fleet.yaml assumes. */
function healthy(): Answers {
  return {
    kt: { version: version('v1.32.4') },
    ncloud: {
      version: version('v1.32.6'),
      'daemonsets-kube-system': list(workload('cilium', 'cilium-agent', 'quay.io/cilium/cilium:v1.16.5@sha256:0123')),
      nodes: nodes('navercloudplatform://12345'),
    },
    nhn: { version: version('v1.32.2'), nodes: nodes('openstack:///0b1c') },
  };
}

/** A fake kubectl answering from `answers` (context → call → JSON); a context with `unreachable` fails like kubectl does. */
function fakeKubectl(answers: Answers): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const dir = tempDir('kubectl-fake-');
  for (const [ctx, files] of Object.entries(answers)) {
    mkdirSync(join(dir, ctx));
    for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, ctx, name === 'unreachable' ? name : `${name}.json`), typeof body === 'string' ? body : JSON.stringify(body));
  }
  const log = join(dir, 'calls.log');
  writeFileSync(join(dir, 'kubectl'), `#!/usr/bin/env bash
echo "$*" >> "${log}"
ctx=""; ns=""
for a in "$@"; do case "$a" in --context=*) ctx="\${a#--context=}";; --namespace=*) ns="\${a#--namespace=}";; esac; done
d="${dir}/$ctx"
if [ ! -d "$d" ]; then echo "error: context \\"$ctx\\" does not exist" >&2; exit 1; fi
if [ -f "$d/unreachable" ]; then cat "$d/unreachable" >&2; exit 1; fi
case "$*" in
  *" version --output=json") f=version;;
  *" get deployments --namespace=$ns --output=json") f="deployments-$ns";;
  *" get daemonsets --namespace=$ns --output=json") f="daemonsets-$ns";;
  *" get nodes --output=json") f=nodes;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 2;;
esac
if [ -f "$d/$f.json" ]; then cat "$d/$f.json"; else echo '{"apiVersion":"v1","kind":"List","items":[]}'; fi
`);
  chmodSync(join(dir, 'kubectl'), 0o755);
  return { env: { KUBECTL: join(dir, 'kubectl') }, calls: () => readFileSync(log, 'utf8').trim().split('\n') };
}

/** A temp folder with `fleetText` as fleet.yaml (never the repository's own fleet.yaml). */
function fleetFile(fleetText = DEFAULT_FLEET): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'fleet.yaml'), fleetText);
  return join(dir, 'fleet.yaml');
}

const preflight = (fleet: string, env: NodeJS.ProcessEnv, ...args: string[]): ReturnType<typeof runCli> => runCli(['preflight', '--fleet', fleet, ...args], env);
const linesOf = (stdout: string, status: string): string[] => stdout.split('\n').filter((l) => new RegExp(`^\\S+\\s+${status}\\s`).test(l));

describe('npm run preflight', () => {
  it('all ok: one line per check, exit 0, only version and get calls', () => {
    const { env, calls } = fakeKubectl(healthy());
    const r = preflight(fleetFile(), env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(linesOf(r.stdout, 'warn').concat(linesOf(r.stdout, 'fail'))).toEqual([]);
    expect(r.stdout).toContain('kt-k2p      ok    kubernetes: Kubernetes 1.32.4 (kubernetesVersion not set; "1.32" would let synth check the charts against it)');
    expect(r.stdout).toContain('kt-k2p      ok    metallb: no MetalLB yet; meshfleet installs MetalLB 0.16.1 (spec.clusters[0].metallb.version)');
    expect(r.stdout).toContain('ncloud-nks  ok    cni: Cilium 1.16.5 runs (DaemonSet kube-system/cilium), as spec.clusters[1].cilium.managed says');
    expect(r.stdout).toContain('ncloud-nks  ok    loadbalancer: the nodes have a cloud provider (providerID navercloudplatform://…)');
    expect(r.stdout).toContain('nhn-nks     ok    mesh: no Istio yet; meshfleet installs Istio 1.30.3 (spec.mesh.istio.version)');
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^preflight passed: 3 cluster\(s\), \d+ ok, 0 warn, 0 fail$/);
    for (const call of calls()) expect(call).toMatch(/^--context=(kt|ncloud|nhn) --request-timeout=20s (version --output=json|get (deployments|daemonsets) --namespace=[a-z-]+ --output=json|get nodes --output=json)$/);
    // The same answers give the same report.
    expect(preflight(fleetFile(), env).stdout).toBe(r.stdout);
  });

  it('a server minor other than kubernetesVersion fails, with the value to set', () => {
    const { env } = fakeKubectl(healthy());
    const fleet = fleetFile(editFleet((doc) => doc.setIn(['spec', 'clusters', 2, 'kubernetesVersion'], '1.31')));
    const r = preflight(fleet, env);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(linesOf(r.stdout, 'fail')).toEqual([
      'nhn-nks     fail  kubernetes: the server runs Kubernetes 1.32.2; fleet.yaml says spec.clusters[2].kubernetesVersion: "1.31" — fix: set spec.clusters[2].kubernetesVersion: "1.32" (synth checks every chart against it)',
    ]);
    expect(r.stdout).toContain('preflight failed: 3 cluster(s)');
  });

  it('an istiod of another origin and version warns, naming the version and the minor jump', () => {
    const answers = healthy();
    answers.kt!['deployments-istio-system'] = list(workload('istiod', 'discovery', 'docker.io/istio/pilot:1.24.3'));
    const { env } = fakeKubectl(answers);
    const r = preflight(fleetFile(), env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const [line, ...rest] = linesOf(r.stdout, 'warn');
    expect(rest).toEqual([]);
    expect(line).toMatch(/^kt-k2p {6}warn  mesh: Istio 1\.24\.3 runs already \(Deployment istio-system\/istiod, not from Helm, not meshfleet's Helm release istiod\); fleet\.yaml installs Istio 1\.30\.3: the two would collide; an in-place jump of more than one minor \(1\.24 → 1\.30\) is not supported — fix: uninstall the existing Istio before the mesh stage is applied; to keep its workloads meshed, upgrade it one minor at a time \(1\.24 → 1\.25 → 1\.26 → 1\.27 → 1\.28 → 1\.29 → 1\.30\) first$/);
  });

  it('meshfleet\'s own istiod one minor behind is fine', () => {
    const answers = healthy();
    answers.nhn!['deployments-istio-system'] = list(workload('istiod', 'discovery', 'docker.io/istio/pilot:1.29.6', 'istiod'));
    const r = preflight(fleetFile(), fakeKubectl(answers).env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("nhn-nks     ok    mesh: Istio 1.29.6 runs from meshfleet's Helm release istiod; meshfleet moves it to 1.30.3");
  });

  it('Cilium where cni says calico, another MetalLB, another mesh type and no LoadBalancer provider', () => {
    const answers = healthy();
    answers.kt!['daemonsets-kube-system'] = list(workload('cilium', 'cilium-agent', 'quay.io/cilium/cilium:v1.17.2'));
    answers.kt!['deployments-metallb-system'] = list(workload('controller', 'controller', 'quay.io/metallb/controller:v0.14.9'));
    answers.kt!['deployments-linkerd'] = list(workload('linkerd-destination', 'destination', 'cr.l5d.io/linkerd/controller:edge-25.4.4'));
    answers.nhn!.nodes = nodes();
    const r = preflight(fleetFile(), fakeKubectl(answers).env);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(linesOf(r.stdout, 'fail')).toEqual([
      'kt-k2p      fail  cni: Cilium 1.17.2 runs (DaemonSet kube-system/cilium); fleet.yaml says spec.clusters[0].cni: calico — fix: set spec.clusters[0].cni: cilium',
      'kt-k2p      fail  mesh: Linkerd edge-25.4.4 runs (Deployment linkerd/linkerd-destination); fleet.yaml installs spec.mesh.type istio: two meshes on one cluster collide — fix: uninstall Linkerd first, or set spec.mesh.type: linkerd',
    ]);
    const warns = linesOf(r.stdout, 'warn');
    expect(warns).toHaveLength(2);
    expect(warns[0]).toMatch(/^kt-k2p {6}warn  metallb: MetalLB 0\.14\.9 runs already \(Deployment metallb-system\/controller, not from Helm\), and fleet\.yaml installs MetalLB 0\.16\.1 too \(spec\.clusters\[0\]\.metallb\.version\): two would collide — fix: to keep the installed MetalLB, set spec\.clusters\[0\]\.metallb\.install: false/);
    expect(warns[1]).toMatch(/^nhn-nks {5}warn  loadbalancer: spec\.clusters\[2\]\.gateway\.serviceType is LoadBalancer, but nothing assigns LoadBalancer addresses .* will stay <pending> — fix: add a metallb block to spec\.clusters\[2\] \(meshfleet installs it\), or pin spec\.clusters\[2\]\.gateway\.address and set spec\.clusters\[2\]\.gateway\.serviceType: NodePort$/);
  });

  it('cni: cilium without a Cilium agent fails; a Helm-installed Cilium where cilium.managed says the provider\'s warns', () => {
    const answers = healthy();
    delete answers.ncloud!['daemonsets-kube-system'];
    let r = preflight(fleetFile(), fakeKubectl(answers).env);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(linesOf(r.stdout, 'fail')).toEqual([
      'ncloud-nks  fail  cni: fleet.yaml says the cluster runs Cilium (spec.clusters[1].cilium.managed); no DaemonSet kube-system/cilium runs — fix: set spec.clusters[1].cni to the CNI the cluster runs (calico or other), or install Cilium first',
    ]);
    answers.ncloud!['daemonsets-kube-system'] = list(workload('cilium', 'cilium-agent', 'quay.io/cilium/cilium:v1.16.5', 'cilium'));
    r = preflight(fleetFile(), fakeKubectl(answers).env);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(linesOf(r.stdout, 'warn')).toEqual([
      'ncloud-nks  warn  cni: Cilium 1.16.5 runs (DaemonSet kube-system/cilium) from Helm release cilium, but spec.clusters[1].cilium.managed says the provider runs it — fix: set spec.clusters[1].cilium.managed: false (your own Helm release runs Cilium)',
    ]);
  });

  it('an unreachable context fails with kubectl\'s first line and the fix; exit 1; -o json says the same', () => {
    const answers = healthy();
    answers.ncloud = { unreachable: 'Unable to connect to the server: dial tcp 198.51.100.1:6443: i/o timeout\nmore detail' };
    const { env } = fakeKubectl(answers);
    const r = preflight(fleetFile(), env);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(linesOf(r.stdout, 'fail')).toEqual([
      'ncloud-nks  fail  reach: kubectl --context ncloud: Unable to connect to the server: dial tcp 198.51.100.1:6443: i/o timeout — fix: check the context name (`kubectl config get-contexts`; spec.clusters[1].context) and the kubeconfig (KUBECONFIG), and that the cluster is reachable',
    ]);
    expect(r.stdout).toContain('nhn-nks     ok    kubernetes:');
    const j = preflight(fleetFile(), env, '-o', 'json');
    expect(j.status).toBe(1);
    const doc = JSON.parse(j.stdout) as { passed: boolean; checks: { cluster: string; check: string; status: string; fix?: string }[] };
    expect(doc.passed).toBe(false);
    expect(doc.checks.filter((c) => c.status === 'fail').map((c) => [c.cluster, c.check])).toEqual([['ncloud-nks', 'reach']]);
    expect(doc.checks.every((c) => (c.status === 'ok') === (c.fix === undefined))).toBe(true);
  });

  it('kubectl missing: exit 1, one clear message, no stack trace', () => {
    const r = preflight(fleetFile(), { KUBECTL: '/nonexistent/kubectl' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^error: \/nonexistent\/kubectl not found on PATH: install kubectl \(or set KUBECTL to its path\); `npm run preflight` reads the clusters through it/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });
});

describe('preflight comparisons', () => {
  const { fleet, modules } = loadFleetWithModules(DEFAULT_FLEET);
  const cluster = fleet.clusters.find((c) => c.name === 'nhn-nks')!;
  const seen = (server: string): Observed => ({ server, found: () => undefined, providerIds: () => ['openstack:///0b1c'] });

  it('the mesh release\'s own range (Istio 1.30: 1.32 to 1.36) warns outside it', () => {
    const lines = compareCluster(fleet, modules, cluster, seen('1.31.4')).filter((l) => l.check === 'kubernetes');
    expect(lines.map((l) => l.status)).toEqual(['ok', 'warn']);
    expect(lines[1]!.message).toBe('Istio 1.30.3 supports Kubernetes 1.32 to 1.36 (istio.io\'s support table, k8sVersions); the cluster runs 1.31');
  });

  it('a mesh release with a Kubernetes range warns outside it and is ok inside it', () => {
    const ranged = {
      ...modules,
      mesh: { ...modules.mesh, releasesInUse: (f: typeof fleet) => (modules.mesh.releasesInUse?.(f) ?? []).map((r) => ({ ...r, kubernetes: { min: '1.29', max: '1.33', source: 'upstream table' } })) },
    };
    const outside = compareCluster(fleet, ranged, cluster, seen('1.34.1')).filter((l) => l.check === 'kubernetes');
    expect(outside[1]).toEqual({
      cluster: 'nhn-nks', check: 'kubernetes', status: 'warn',
      message: 'Istio 1.30.3 supports Kubernetes 1.29 to 1.33 (upstream table); the cluster runs 1.34',
      fix: 'move the cluster into 1.29–1.33, or set spec.mesh.istio.version to a release that supports Kubernetes 1.34',
    });
    expect(compareCluster(fleet, ranged, cluster, seen('1.33.0')).filter((l) => l.check === 'kubernetes').map((l) => l.status)).toEqual(['ok', 'ok']);
  });

  it('without a range there is no range line', () => {
    const plain = { ...modules, mesh: { ...modules.mesh, releasesInUse: (f: typeof fleet) => (modules.mesh.releasesInUse?.(f) ?? []).map(({ kubernetes: _, ...r }) => r) } };
    expect(compareCluster(fleet, plain, cluster, seen('1.40.0')).filter((l) => l.check === 'kubernetes')).toHaveLength(1);
  });

  it('reads the version from an image tag', () => {
    expect(imageVersion('quay.io/cilium/cilium:v1.16.5@sha256:0123')).toBe('1.16.5');
    expect(imageVersion('registry.local:5000/istio/pilot:1.26.8-distroless')).toBe('1.26.8-distroless');
    expect(imageVersion('registry.local:5000/istio/pilot')).toBe('unknown');
  });
});
