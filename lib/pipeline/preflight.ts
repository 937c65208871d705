/**
 * `npm run preflight`: what fleet.yaml assumes of each live cluster against what the cluster says,
 * read through its kubeconfig context with get and version calls only (`flux check --pre`,
 * `istioctl x precheck`). Reading (`readCluster`) and comparing (`compareCluster`) are apart, so the
 * comparison is a function of what was read. Modules say what they look for (`contracts/preflight.ts`):
 * this file names no mesh and no add-on.
 */
import { compareVersions } from '../format/semver';
import type { Cluster, Fleet } from '../fleet/types';
import { CILIUM_AGENT, type Expectation, type Footprint } from '../contracts/preflight';
import type { ReleaseInUse } from '../contracts/support';
import { MESHES } from '../mesh/registry';
import { kubectl } from '../tools/kubectl';
import type { Modules } from './load';

export type Status = 'ok' | 'warn' | 'fail';

/** One line of the report: a check on one cluster. */
export interface PreflightLine {
  readonly cluster: string;
  readonly check: string;
  readonly status: Status;
  readonly message: string;
  /** For warn and fail: what to change. */
  readonly fix?: string;
}

/** A workload found for a footprint. */
export interface Workload {
  readonly where: string;
  readonly version: string;
  /** The Helm release it belongs to, when it belongs to one. */
  readonly release?: string;
}

/** What a reachable cluster said. */
export interface Observed {
  /** The server's version, "1.32.4" (gitVersion without the v and any suffix). */
  readonly server: string;
  /** Per footprint: the workload, undefined when none runs, or why it could not be read. */
  readonly found: (f: Footprint) => Workload | undefined | { readonly error: string };
  /** Whether any node has spec.providerID set (a cloud provider's controller), or why the nodes could not be read; read on demand. */
  readonly providerIds: () => readonly string[] | { readonly error: string };
}

const COMMAND = 'npm run preflight';
const TIMEOUT = '--request-timeout=20s';

const minorOf = (version: string): string | undefined => /^v?(\d+\.\d+)/.exec(version)?.[1];
const minorNumber = (version: string): number | undefined => { const m = /^v?\d+\.(\d+)/.exec(version); return m ? Number(m[1]) : undefined; };
const majorOf = (version: string): string | undefined => /^v?(\d+)\./.exec(version)?.[1];
const keyOf = (f: Footprint): string => `${f.kind}/${f.namespace}/${f.name}`;
const whereOf = (f: Footprint): string => `${f.kind} ${f.namespace}/${f.name.replace(/\*$/, '')}`;

/** The version in an image reference: the tag, without a leading v or a digest ("quay.io/cilium/cilium:v1.16.5@sha256:…" → 1.16.5). */
export function imageVersion(image: string): string {
  const ref = image.split('@')[0]!;
  const colon = ref.lastIndexOf(':');
  if (colon < 0 || colon < ref.lastIndexOf('/')) return 'unknown';
  return ref.slice(colon + 1).replace(/^v(?=\d)/, '');
}

interface KubeWorkload {
  metadata?: { name?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: { template?: { spec?: { containers?: { name?: string; image?: string }[] } } };
}

function matches(f: Footprint, name: string): boolean {
  return f.name.endsWith('*') ? name.startsWith(f.name.slice(0, -1)) : name === f.name || (f.aliases ?? []).includes(name);
}

function workloadOf(f: Footprint, items: readonly KubeWorkload[]): Workload | undefined {
  const hit = items.filter((i) => matches(f, i.metadata?.name ?? '')).sort((a, b) => (a.metadata!.name! < b.metadata!.name! ? -1 : 1))[0];
  if (!hit) return undefined;
  const containers = hit.spec?.template?.spec?.containers ?? [];
  const container = containers.find((c) => c.name === f.container) ?? containers[0];
  const release = hit.metadata?.annotations?.['meta.helm.sh/release-name'] ?? hit.metadata?.labels?.['app.kubernetes.io/instance'];
  return { where: `${f.kind} ${f.namespace}/${hit.metadata!.name!}`, version: container?.image ? imageVersion(container.image) : 'unknown', ...(release ? { release } : {}) };
}

const firstLine = (s: string): string => s.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';

/**
 * Reads one cluster: its server version, then each namespace's workloads of the kinds `footprints`
 * name (one list call per kind and namespace), the nodes only when asked. A string: kubectl could
 * not reach the cluster (its first line of stderr).
 */
export function readCluster(bin: string, cluster: Cluster, footprints: readonly Footprint[]): Observed | string {
  const ctx = `--context=${cluster.context}`;
  const version = kubectl(bin, [ctx, TIMEOUT, 'version', '--output=json'], COMMAND);
  let server: string | undefined;
  try {
    const v = JSON.parse(version.out) as { serverVersion?: { gitVersion?: string } };
    server = /^v?(\d+\.\d+(?:\.\d+)?)/.exec(v.serverVersion?.gitVersion ?? '')?.[1];
  } catch {
    // Not JSON: the call failed, or an old kubectl printed text.
  }
  if (server === undefined) return firstLine(version.err) || (version.ok ? 'kubectl version printed no serverVersion' : 'kubectl failed');
  const lists = new Map<string, readonly KubeWorkload[] | { error: string }>();
  for (const f of footprints) {
    const key = `${f.kind}/${f.namespace}`;
    if (lists.has(key)) continue;
    const r = kubectl(bin, [ctx, TIMEOUT, 'get', `${f.kind.toLowerCase()}s`, `--namespace=${f.namespace}`, '--output=json'], COMMAND);
    try {
      lists.set(key, r.ok ? (JSON.parse(r.out) as { items?: KubeWorkload[] }).items ?? [] : { error: firstLine(r.err) || 'kubectl failed' });
    } catch {
      lists.set(key, { error: 'kubectl did not return JSON' });
    }
  }
  let nodes: readonly string[] | { error: string } | undefined;
  return {
    server,
    found(f) {
      const list = lists.get(`${f.kind}/${f.namespace}`);
      if (list === undefined) return { error: `${f.kind} in ${f.namespace} not read` };
      return 'error' in list ? list : workloadOf(f, list);
    },
    providerIds() {
      if (nodes) return nodes;
      const r = kubectl(bin, [ctx, TIMEOUT, 'get', 'nodes', '--output=json'], COMMAND);
      try {
        nodes = r.ok
          ? ((JSON.parse(r.out) as { items?: { spec?: { providerID?: string } }[] }).items ?? []).flatMap((n) => (n.spec?.providerID ? [n.spec.providerID] : []))
          : { error: firstLine(r.err) || 'kubectl failed' };
      } catch {
        nodes = { error: 'kubectl did not return JSON' };
      }
      return nodes;
    },
  };
}

/** Every footprint preflight looks for on a cluster of `modules`' fleet. */
export function footprintsOf(modules: Modules, cluster: Cluster): Footprint[] {
  const all = [CILIUM_AGENT, ...Object.values(MESHES).flatMap((m) => (m.footprint ? [m.footprint] : [])),
    ...modules.addons.flatMap((a) => [...(a.footprint ? [a.footprint] : []), ...(a.expects?.(cluster) ?? []).map((e) => e.footprint)])];
  return [...new Map(all.map((f) => [keyOf(f), f])).values()];
}

/** Where `release` (with a Kubernetes range) stands on a server running `server`: undefined without a range. */
export function kubernetesRange(release: ReleaseInUse, server: string): { inside: boolean; message: string } | undefined {
  const range = release.kubernetes;
  const minor = minorOf(server);
  if (!range || !minor) return undefined;
  const inside = compareVersions(minor, range.min) >= 0 && compareVersions(minor, range.max) <= 0;
  return { inside, message: `${release.project} ${release.version} supports Kubernetes ${range.min} to ${range.max} (${range.source}); the cluster runs ${minor}` };
}

/** The lines of one reachable cluster. */
export function compareCluster(fleet: Fleet, modules: Modules, cluster: Cluster, seen: Observed): PreflightLine[] {
  const lines: PreflightLine[] = [];
  const add = (check: string, status: Status, message: string, fix?: string): void => {
    lines.push({ cluster: cluster.name, check, status, message, ...(status !== 'ok' && fix ? { fix } : {}) });
  };
  const at = `spec.clusters[${cluster.index}]`;
  const unread = (check: string, f: Footprint, error: string): void =>
    add(check, 'warn', `could not list ${f.kind}s in ${f.namespace}: ${error}`, `give the kubeconfig user of context ${cluster.context} get and list on ${f.kind}s`);
  const releases = modules.mesh.releasesInUse?.(fleet) ?? [];

  // 1. Kubernetes: fleet.yaml's kubernetesVersion, and the mesh release's supported range.
  const minor = minorOf(seen.server)!;
  if (cluster.kubernetesVersion !== undefined && minorOf(cluster.kubernetesVersion) !== minor) {
    add('kubernetes', 'fail', `the server runs Kubernetes ${seen.server}; fleet.yaml says ${at}.kubernetesVersion: "${cluster.kubernetesVersion}"`,
      `set ${at}.kubernetesVersion: "${minor}" (synth checks every chart against it)`);
  } else {
    add('kubernetes', 'ok', `Kubernetes ${seen.server}${cluster.kubernetesVersion !== undefined ? ` (kubernetesVersion "${cluster.kubernetesVersion}")` : ` (kubernetesVersion not set; "${minor}" would let synth check the charts against it)`}`);
  }
  for (const release of releases) {
    const range = kubernetesRange(release, seen.server);
    if (!range) continue;
    add('kubernetes', range.inside ? 'ok' : 'warn', range.message,
      `move the cluster into ${release.kubernetes!.min}–${release.kubernetes!.max}, or set ${release.field} to a release that supports Kubernetes ${minor}`);
  }

  // 2. The CNI: Cilium where fleet.yaml says cni: cilium, and nowhere else.
  const expectations = modules.addons.flatMap((a) => a.expects?.(cluster) ?? []);
  const cilium = seen.found(CILIUM_AGENT);
  const ciliumCovered = modules.mesh.cni === 'cilium' || expectations.some((e) => keyOf(e.footprint) === keyOf(CILIUM_AGENT));
  if (cilium !== undefined && 'error' in cilium) unread('cni', CILIUM_AGENT, cilium.error);
  else if (cluster.cni !== 'cilium' && cilium) {
    add('cni', 'fail', `Cilium ${cilium.version} runs (${cilium.where}); fleet.yaml says ${at}.cni: ${cluster.cni}`, `set ${at}.cni: cilium`);
  } else if (cluster.cni === 'cilium' && !ciliumCovered) {
    if (cilium) add('cni', 'ok', `Cilium ${cilium.version} runs (${cilium.where}), as cni: cilium says`);
    else add('cni', 'fail', `fleet.yaml says ${at}.cni: cilium; no ${whereOf(CILIUM_AGENT)} runs`, `set ${at}.cni to the CNI the cluster runs (calico or other)`);
  } else if (cluster.cni !== 'cilium') {
    add('cni', 'ok', `no Cilium agent, as cni: ${cluster.cni} says`);
  }

  // 3. LoadBalancer addresses for the mesh's gateway.
  if (cluster.gateway.serviceType === 'LoadBalancer') loadBalancerLine(modules, cluster, seen, add, unread);

  // 4. What the add-ons install or expect to run.
  for (const e of expectations) expectationLine(e, seen, add, unread);

  // 5. The mesh: its own control plane, and none of another type.
  const own = modules.mesh.footprint;
  if (own) {
    const release = releases.find((r) => r.project === own.project);
    meshLine(own, release, seen, add, unread);
    for (const other of Object.values(MESHES)) {
      // A mesh that is a CNI (Cilium) is the CNI check's.
      if (other === modules.mesh || !other.footprint || other.cni) continue;
      const w = seen.found(other.footprint);
      if (w === undefined) continue;
      if ('error' in w) unread('mesh', other.footprint, w.error);
      else {
        add('mesh', 'fail', `${other.footprint.project} ${w.version} runs (${w.where}); fleet.yaml installs spec.mesh.type ${modules.mesh.type}: two meshes on one cluster collide`,
          `uninstall ${other.footprint.project} first, or set spec.mesh.type: ${other.type}`);
      }
    }
  }
  return ordered(lines);
}

type Add = (check: string, status: Status, message: string, fix?: string) => void;
type Unread = (check: string, f: Footprint, error: string) => void;

function loadBalancerLine(modules: Modules, cluster: Cluster, seen: Observed, add: Add, unread: Unread): void {
  const at = `spec.clusters[${cluster.index}]`;
  const assigners = modules.addons.filter((a) => a.assignsGatewayAddress);
  const configured = assigners.find((a) => a.assignsGatewayAddress!(cluster));
  if (configured) {
    add('loadbalancer', 'ok', `the gateway's LoadBalancer address comes from ${configured.name} (${at}.${configured.name})`);
    return;
  }
  for (const a of assigners) {
    if (!a.footprint) continue;
    const w = seen.found(a.footprint);
    if (w && 'error' in w) unread('loadbalancer', a.footprint, w.error);
    else if (w) {
      add('loadbalancer', 'ok', `${a.footprint.project} ${w.version} runs (${w.where}) and assigns LoadBalancer addresses`);
      return;
    }
  }
  const ids = seen.providerIds();
  if ('error' in ids) {
    add('loadbalancer', 'warn', `could not list the nodes: ${ids.error}`, `give the kubeconfig user of context ${cluster.context} get and list on nodes`);
    return;
  }
  if (ids.length > 0) {
    const scheme = [...new Set(ids.map((id) => id.split('://')[0]))].sort().join(', ');
    add('loadbalancer', 'ok', `the nodes have a cloud provider (providerID ${scheme}://…): its controller assigns LoadBalancer addresses`);
    return;
  }
  add('loadbalancer', 'warn', `${at}.gateway.serviceType is LoadBalancer, but nothing assigns LoadBalancer addresses (no ${assigners.map((a) => a.footprint?.project ?? a.name).join(', ')}; no node has spec.providerID): the gateway's Service will stay <pending>`,
    `add a ${assigners.map((a) => a.name).join(' or ')} block to ${at} (meshfleet installs it), or pin ${at}.gateway.address and set ${at}.gateway.serviceType: NodePort`);
}

function expectationLine(e: Expectation, seen: Observed, add: Add, unread: Unread): void {
  const f = e.footprint;
  const check = f.project === CILIUM_AGENT.project ? 'cni' : f.project.toLowerCase();
  const w = seen.found(f);
  if (w && 'error' in w) {
    unread(check, f, w.error);
    return;
  }
  if (e.mode === 'installs') {
    if (!w) add(check, 'ok', `no ${f.project} yet; meshfleet installs ${f.project} ${e.version} (${e.field})`);
    else if (f.release !== undefined && w.release === f.release) {
      add(check, 'ok', `${f.project} ${w.version} runs from meshfleet's Helm release ${f.release}${w.version === e.version ? '' : `; meshfleet moves it to ${e.version}`}`);
    } else {
      add(check, 'warn', `${f.project} ${w.version} runs already (${w.where}, ${w.release ? `Helm release ${w.release}` : 'not from Helm'}), and fleet.yaml installs ${f.project} ${e.version} too (${e.field}): two would collide`, e.fix);
    }
    return;
  }
  if (!w) {
    add(check, 'fail', `fleet.yaml says the cluster runs ${f.project} (${e.field}); no ${whereOf(f)} runs`, e.fix);
  } else if (e.version !== undefined && e.versionField !== undefined && w.version !== e.version) {
    add(check, 'warn', `${f.project} ${w.version} runs (${w.where}); fleet.yaml says ${e.versionField}: "${e.version}"`, `set ${e.versionField}: "${w.version}"`);
  } else if (e.fromHelm !== undefined && e.fromHelm !== (w.release !== undefined)) {
    add(check, 'warn', `${f.project} ${w.version} runs (${w.where}) ${w.release ? `from Helm release ${w.release}` : 'not from Helm'}, but ${e.field} says ${e.fromHelm ? 'your own Helm release runs it' : 'the provider runs it'}`, e.originFix ?? e.fix);
  } else {
    add(check, 'ok', `${f.project} ${w.version} runs (${w.where}), as ${e.field} says`);
  }
}

function meshLine(f: Footprint, release: ReleaseInUse | undefined, seen: Observed, add: Add, unread: Unread): void {
  const w = seen.found(f);
  const wanted = release?.version ?? 'its pinned release';
  if (w && 'error' in w) {
    unread('mesh', f, w.error);
    return;
  }
  if (!w) {
    add('mesh', 'ok', `no ${f.project} yet; meshfleet installs ${f.project} ${wanted}${release ? ` (${release.field})` : ''}`);
    return;
  }
  const ours = f.release !== undefined && w.release === f.release;
  const from = minorNumber(w.version);
  const to = release ? minorNumber(release.version) : undefined;
  const jump = from !== undefined && to !== undefined && majorOf(w.version) === majorOf(release!.version) && Math.abs(to - from) > 1;
  const major = majorOf(w.version);
  const path = jump ? Array.from({ length: Math.abs(to! - from!) + 1 }, (_, i) => `${major}.${from! + (to! > from! ? i : -i)}`).join(' → ') : '';
  const next = jump ? release!.installs.find((v) => minorNumber(v) === from! + Math.sign(to! - from!) && majorOf(v) === major) : undefined;
  const jumpText = jump ? `; an in-place jump of more than one minor (${minorOf(w.version)} → ${minorOf(release!.version)}) is not supported` : '';
  if (ours) {
    if (!jump) add('mesh', 'ok', `${f.project} ${w.version} runs from meshfleet's Helm release ${f.release}${w.version === release?.version ? '' : `; meshfleet moves it to ${wanted}`}`);
    else {
      add('mesh', 'warn', `${f.project} ${w.version} runs from meshfleet's Helm release ${f.release}; fleet.yaml installs ${wanted}${jumpText}`,
        next ? `set ${release!.field}: "${next}" first, then one minor at a time (${path})`
          : `move one minor at a time (${path}): this meshfleet installs ${release!.installs.join(', ')}, so the steps between need the meshfleet versions that install them`);
    }
    return;
  }
  add('mesh', 'warn', `${f.project} ${w.version} runs already (${w.where}, ${w.release ? `Helm release ${w.release}` : 'not from Helm'}, not meshfleet's Helm release ${f.release ?? ''}); fleet.yaml installs ${f.project} ${wanted}: the two would collide${jumpText}`,
    `uninstall the existing ${f.project} before the mesh stage is applied${jump ? `; to keep its workloads meshed, upgrade it one minor at a time (${path}) first` : ''}`);
}

/** Every cluster, in name order: unreachable ones as one fail line. */
export function preflight(fleet: Fleet, modules: Modules, bin: string): PreflightLine[] {
  return fleet.clusters.flatMap((cluster) => {
    const seen = readCluster(bin, cluster, footprintsOf(modules, cluster));
    if (typeof seen === 'string') {
      return [{ cluster: cluster.name, check: 'reach', status: 'fail' as const, message: `kubectl --context ${cluster.context}: ${seen}`,
        fix: `check the context name (\`kubectl config get-contexts\`; spec.clusters[${cluster.index}].context) and the kubeconfig (KUBECONFIG), and that the cluster is reachable` }];
    }
    return compareCluster(fleet, modules, cluster, seen);
  });
}

/** The order of a cluster's lines: what the later checks stand on first, the mesh last. */
const ORDER = ['reach', 'kubernetes', 'cni', 'loadbalancer'];
const rank = (check: string): number => (ORDER.includes(check) ? ORDER.indexOf(check) : check === 'mesh' ? ORDER.length + 1 : ORDER.length);

/** `lines` of one cluster in check order (stable within a check). */
function ordered(lines: PreflightLine[]): PreflightLine[] {
  return lines.map((l, i) => [l, i] as const).sort(([a, i], [b, j]) => rank(a.check) - rank(b.check) || i - j).map(([l]) => l);
}
