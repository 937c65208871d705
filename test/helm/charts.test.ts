/**
 * Every HelmRelease rendered by real Helm 3 against the exact chart version it pins, as Flux's
 * helm-controller would: for the default fleet and every examples/*.yaml, every cluster, every
 * release. Helm ignores a misspelt value key, so each key path we set is also checked against the
 * chart's values.yaml / values.schema.json (lib/helm/keys.ts), and what the fleet asked for is
 * asserted on Helm's output, not on our values.
 */
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadFleet } from '../../lib/pipeline';
import { isForwarded, type Cluster, type Fleet } from '../../lib/fleet/types';
import { alsoDeclaredPaths, freeFormPaths } from '../../lib/helm/free-form';
import { undeclaredKeys } from '../../lib/helm/keys';
import { metallbOf } from '../../lib/addons/metallb/defaults';
import { metricsServerOf } from '../../lib/addons/metrics-server';
import { ciliumSettingsOf } from '../../lib/addons/cilium-istio';
import { isRemote, istioClusterOf, istioOf, primaryOf, remotesOf } from '../../lib/mesh/istio/defaults';
import { ciliumClusterOf, ciliumOf } from '../../lib/mesh/cilium/defaults';
import { peerOf } from '../../lib/mesh/cilium/values';
import type { ReleaseRef } from '../../lib/contracts/engine';
import { templateRelease, type HelmResult } from '../../lib/helm/template';
import type { KubeObject } from '../../lib/kube';
import { DEFAULT_FLEET, editFleet, HELM, hasHelm } from '../helpers';
import { CHARTS, chartInfo, clusterStages, renderedFleet, crdKinds, fleetFiles, helmTemplate, versionFleets, K8S_KINDS, kindKey, parseManifests, releaseCases, type ReleaseCase } from './harness';

const skipReason = !hasHelm
  ? 'helm is not installed (npm ci installs the pinned helm; or set HELM)'
  : !existsSync(CHARTS) ? `the upstream charts are missing (${CHARTS})` : undefined;
const SKIPPED = skipReason ? ` — SKIPPED: ${skipReason}` : '';

/** Flux's own kinds: `flux bootstrap` installs their CRDs before any stage. */
const FLUX_GROUPS = ['source.toolkit.fluxcd.io', 'helm.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io'];
/** The group of KSOPS's kustomize generator config. */
const KUSTOMIZE_GENERATORS = 'viaduct.ai';

interface Rendered {
  readonly result: HelmResult;
  readonly objects: KubeObject[];
  readonly parseError?: string;
}

async function render(c: ReleaseCase): Promise<Rendered | undefined> {
  if (!c.chartDir) return undefined;
  const result = await helmTemplate(c.ref, c.chartDir, c.kubeVersion);
  if (result.code !== 0) return { result, objects: [] };
  try {
    return { result, objects: parseManifests(result.stdout) };
  } catch (e) {
    return { result, objects: [], parseError: (e as Error).message };
  }
}

/** The versions of `chart` among the vendored charts, for the drift message. */
function vendoredVersions(chart: string): string[] {
  if (!existsSync(CHARTS)) return [];
  return readdirSync(CHARTS).filter((d) => d.startsWith(`${chart}-`) && /^\d/.test(d.slice(chart.length + 1))).map((d) => d.slice(chart.length + 1));
}

/** Why a release's pinned chart is not one we test against; undefined when it is. */
function pinDrift(c: ReleaseCase): string | undefined {
  if (!c.chartDir) {
    return `HelmRelease ${c.cluster}/${c.ref.name} pins ${c.ref.chart} ${c.ref.version}, but the charts the tests render against `
      + `(${CHARTS}) have ${c.ref.chart} ${vendoredVersions(c.ref.chart).join(', ') || 'in no version'}: the pin drifted from the tested chart`;
  }
  const chart = chartInfo(c.chartDir);
  if (chart.name !== c.ref.chart || chart.version !== c.ref.version) {
    return `HelmRelease ${c.cluster}/${c.ref.name} pins ${c.ref.chart} ${c.ref.version}, but ${c.chartDir}/Chart.yaml says ${chart.name} ${chart.version}`;
  }
  return undefined;
}

function find(objs: readonly KubeObject[], kind: string, name?: string): Record<string, any> {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  expect(found.length, `exactly one ${kind}${name ? ` ${name}` : ''} in Helm's output`).toBe(1);
  return found[0] as Record<string, any>;
}

function container(deployment: Record<string, any>, name?: string): Record<string, any> {
  const containers = deployment.spec.template.spec.containers as Record<string, any>[];
  return name ? containers.find((c) => c.name === name)! : containers[0]!;
}

/** What the fleet asked of each chart, checked on the objects Helm rendered. */
function assertFleetIntent(fleet: Fleet, cluster: Cluster, ref: ReleaseRef, objs: KubeObject[]): void {
  switch (ref.chart) {
    case 'base': {
      // The remote secret of every cluster (remotes included) reads this account's token.
      find(objs, 'ServiceAccount', 'istio-reader-service-account');
      break;
    }
    case 'istiod': {
      if (isRemote(cluster)) {
        assertRemoteIstiod(fleet, cluster, objs, (ref.values as { revision?: string }).revision);
        break;
      }
      // A revision (canary) names its objects after itself, and renders the webhooks of the tags that point at it.
      const revision = (ref.values as { revision?: string }).revision;
      const suffix = revision ? `-${revision}` : '';
      const env = container(find(objs, 'Deployment', `istiod${suffix}`), 'discovery').env as { name: string; value?: string }[];
      expect(env.find((e) => e.name === 'CLUSTER_ID')?.value, 'istiod env CLUSTER_ID').toBe(cluster.name);
      if (istioOf(fleet).revisions) {
        const version = ref.version;
        const tags = Object.entries({ ...istioOf(fleet).tags, ...istioClusterOf(cluster).tags }).filter(([, v]) => v === version).map(([t]) => t);
        // default follows stable, except while the in-place istiod (Istio's default revision) still runs.
        if (tags.includes('stable') && istioOf(fleet).unrevisioned === undefined) tags.push('default');
        const rendered = objs.filter((o) => o.kind === 'MutatingWebhookConfiguration' && o.metadata?.name?.startsWith('istio-revision-tag-')).map((o) => o.metadata!.name!.slice('istio-revision-tag-'.length));
        expect(rendered.sort(), `revision ${revision || '(in place)'}: the tag webhooks it owns`).toEqual(tags.sort());
      }
      const mesh = find(objs, 'ConfigMap', `istio${suffix}`);
      expect(parse(mesh.data.mesh).defaultConfig.meshId, 'ConfigMap istio: mesh.defaultConfig.meshId').toBe(istioOf(fleet).meshID);
      // Sidecars get ISTIO_META_NETWORK from global.network through the injector's values.
      const injector = find(objs, 'ConfigMap', `istio-sidecar-injector${suffix}`);
      expect(JSON.parse(injector.data.values).global.network, 'ConfigMap istio-sidecar-injector: values.global.network').toBe(istioClusterOf(cluster).network);
      const networks = (parse(mesh.data.meshNetworks) as { networks: Record<string, { gateways?: { address?: string; port: number }[] }> }).networks;
      for (const other of fleet.clusters.filter((c) => c.gateway.address)) {
        expect(networks[istioClusterOf(other).network]?.gateways, `meshNetworks of ${cluster.name}: ${other.name}'s pinned gateway`)
          .toContainEqual({ address: other.gateway.address, port: 15443 });
      }
      // A primary with remotes manages them as their external istiod.
      expect(env.find((e) => e.name === 'EXTERNAL_ISTIOD')?.value, 'istiod env EXTERNAL_ISTIOD').toBe(remotesOf(fleet, cluster).length > 0 ? 'true' : undefined);
      break;
    }
    case 'gateway': {
      const svc = find(objs, 'Service');
      const ports = (svc.spec.ports as { port: number }[]).map((p) => p.port);
      expect(ports, 'east-west gateway Service ports').toContain(15443);
      // A primary's remotes reach istiod's xDS/CA and webhook ports through it.
      if (remotesOf(fleet, cluster).length > 0) expect(ports, 'east-west gateway of a primary with remotes exposes istiod').toEqual(expect.arrayContaining([15012, 15017]));
      // istiod announces every Service so labelled at its LoadBalancer address: not where peers dial another one.
      expect(svc.metadata.labels?.['topology.istio.io/network'], 'east-west gateway Service network label').toBe(isForwarded(cluster.gateway) ? undefined : istioClusterOf(cluster).network);
      const annotations = (svc.metadata.annotations ?? {}) as Record<string, string>;
      const metallbKeys = Object.keys(annotations).filter((k) => k.endsWith('/loadBalancerIPs'));
      const metallb = metallbOf(cluster);
      if (metallb && cluster.gateway.serviceAddress) {
        const [maj, min, patch] = metallb.version.split('.').map(Number) as [number, number, number];
        const key = maj > 0 || min > 14 || (min === 14 && patch >= 9) ? 'metallb.io/loadBalancerIPs' : 'metallb.universe.tf/loadBalancerIPs';
        expect(metallbKeys, 'MetalLB annotation on the east-west gateway Service').toEqual([key]);
        expect(annotations[key]).toBe(cluster.gateway.serviceAddress);
      } else {
        expect(metallbKeys, 'no MetalLB annotation without MetalLB and a pinned address').toEqual([]);
      }
      break;
    }
    case 'linkerd-control-plane': {
      // The identity controller reads the issuer from the Secret meshfleet places in mesh-prereqs.
      const identity = find(objs, 'Deployment', 'linkerd-identity');
      const volumes = identity.spec.template.spec.volumes as { name: string; secret?: { secretName: string } }[];
      expect(volumes.find((v) => v.name === 'identity-issuer')?.secret?.secretName, 'linkerd-identity mounts the issuer Secret').toBe('linkerd-identity-issuer');
      expect(container(identity, 'identity').args, 'identity scheme').toContain('-identity-scheme=kubernetes.io/tls');
      expect(objs.some((o) => o.kind === 'Secret' && o.metadata?.name === 'linkerd-identity-issuer'), 'the chart does not render the issuer Secret itself').toBe(false);
      const anchor = ref.values.identityTrustAnchorsPEM as string | undefined;
      if (anchor !== undefined) {
        expect(anchor).toMatch(/^-----BEGIN CERTIFICATE-----/);
        expect(String(find(objs, 'ConfigMap', 'linkerd-identity-trust-roots').data['ca-bundle.crt']).trim(), 'trust roots = the fleet\'s trust anchor').toBe(anchor.trim());
      }
      break;
    }
    case 'linkerd-multicluster': {
      const svc = find(objs, 'Service', 'linkerd-gateway');
      expect((svc.spec.ports as { port: number }[]).map((p) => p.port).sort(), 'gateway ports').toEqual([4143, 4191]);
      const annotations = (svc.metadata.annotations ?? {}) as Record<string, string>;
      const metallbKeys = Object.keys(annotations).filter((k) => k.endsWith('/loadBalancerIPs'));
      if (metallbOf(cluster) && cluster.gateway.serviceAddress) {
        expect(metallbKeys.map((k) => annotations[k]), 'the gateway Service asks for gateway.serviceAddress').toEqual([cluster.gateway.serviceAddress]);
      } else {
        expect(metallbKeys, 'no MetalLB annotation without MetalLB and an address to ask for').toEqual([]);
      }
      for (const peer of fleet.clusters.filter((c) => c.name !== cluster.name)) {
        expect(container(find(objs, 'Deployment', `controller-${peer.name}`), 'controller').args, `service-mirror controller for ${peer.name}`).toContain(peer.name);
      }
      break;
    }
    case 'metrics-server': {
      const args = container(find(objs, 'Deployment'), 'metrics-server').args as string[];
      expect(args.includes('--kubelet-insecure-tls'), 'metrics-server --kubelet-insecure-tls exactly when asked').toBe(metricsServerOf(cluster)!.kubeletInsecureTLS);
      for (const a of metricsServerOf(cluster)!.args) expect(args).toContain(a);
      break;
    }
    case 'cilium': {
      if (fleet.mesh.type !== 'cilium') break;
      const m = ciliumClusterOf(cluster);
      const config = find(objs, 'ConfigMap', 'cilium-config').data as Record<string, string>;
      expect(config['cluster-name'], 'cilium-config cluster-name').toBe(cluster.name);
      expect(config['cluster-id'], 'cilium-config cluster-id').toBe(String(m.clusterId));
      expect(config['cluster-pool-ipv4-cidr'], 'cilium-config cluster-pool-ipv4-cidr').toBe(m.podCIDR);
      expect(config['max-connected-clusters'], 'cilium-config max-connected-clusters').toBe(String(ciliumOf(fleet).maxConnectedClusters));
      // One entry per cluster of the fleet (the agent skips its own), in the agents' Secret and KVStoreMesh's.
      const names = fleet.clusters.map((c) => c.name).sort();
      expect(Object.keys(find(objs, 'Secret', 'cilium-clustermesh').data).sort(), 'Secret cilium-clustermesh: one entry per peer').toEqual(names);
      const kvstoremesh = find(objs, 'Secret', 'cilium-kvstoremesh').data as Record<string, string>;
      expect(Object.keys(kvstoremesh).sort(), 'Secret cilium-kvstoremesh: one entry per peer').toEqual(names);
      const aliases = (find(objs, 'Deployment', 'clustermesh-apiserver').spec.template.spec.hostAliases ?? []) as { ip: string; hostnames: string[] }[];
      for (const peer of fleet.clusters.map(peerOf)) {
        const etcd = parse(Buffer.from(kvstoremesh[peer.name]!, 'base64').toString()) as { endpoints: string[]; 'trusted-ca-file': string };
        const host = peer.address ?? `${peer.name}.mesh.cilium.io`;
        expect(etcd.endpoints, `KVStoreMesh endpoint of ${peer.name}`).toEqual([`https://${host}:${peer.port}`]);
        // Without per-peer TLS the shared CA's certificates are used (common-*).
        expect(etcd['trusted-ca-file']).toBe('/var/lib/cilium/clustermesh/common-etcd-client-ca.crt');
        for (const ip of peer.ips ?? []) expect(aliases, `hostAlias for ${peer.name}`).toContainEqual({ ip, hostnames: [`${peer.name}.mesh.cilium.io`] });
      }
      const svc = find(objs, 'Service', 'clustermesh-apiserver');
      expect(svc.spec.type, 'clustermesh-apiserver Service type').toBe(m.apiserverService);
      if (m.apiserverService === 'NodePort') expect(svc.spec.ports[0].nodePort, 'clustermesh-apiserver NodePort').toBe(m.nodePort);
      // The CA is meshfleet's Secret: the chart must neither render cilium-ca nor any certificate (cronJob, not helm).
      const secrets = objs.filter((o) => o.kind === 'Secret').map((o) => o.metadata!.name);
      expect(secrets, 'the chart renders no CA and no certificate Secret').not.toContain('cilium-ca');
      expect(secrets.filter((n) => /cert|tls/.test(n ?? '')), 'no certificate Secret rendered at template time').toEqual([]);
      // Cilium 1.19 names the Job after its spec's checksum (a changed Job is a new one, as Jobs are immutable).
      const jobs = objs.filter((o) => o.kind === 'Job' && /^clustermesh-apiserver-generate-certs(-[0-9a-f]{10})?$/.test(o.metadata?.name ?? ''));
      expect(jobs.length, 'one clustermesh-apiserver certgen Job').toBe(1);
      const certgen = container(jobs[0] as Record<string, any>, 'certgen').args as string[];
      expect(certgen).toEqual(expect.arrayContaining(['--ca-reuse-secret', '--ca-secret-name=cilium-ca']));
      // Renewed in the cluster, signed by the same CA.
      for (const name of ['clustermesh-apiserver-generate-certs', 'hubble-generate-certs']) {
        const cron = find(objs, 'CronJob', name);
        expect(cron.spec.schedule, `CronJob ${name}`).toBe('0 0 1 */4 *');
        expect(container(cron.spec.jobTemplate, 'certgen').args).toEqual(expect.arrayContaining(['--ca-reuse-secret', '--ca-secret-name=cilium-ca']));
      }
      break;
    }
    default:
  }
}

/**
 * The remote profile: no istiod Deployment and no mesh ConfigMap; a selector-less `istiod` Service
 * whose Endpoints (IP address) or ExternalName (DNS name) is the primary's gateway, and the
 * injection webhook calling it with the remote's cluster and network in the path.
 */
function assertRemoteIstiod(fleet: Fleet, cluster: Cluster, objs: KubeObject[], revision?: string): void {
  // A revision's remote profile names its Service, address and webhook after the revision.
  const name = `istiod${revision ? `-${revision}` : ''}`;
  const address = primaryOf(fleet, cluster).gateway.address!;
  expect(objs.filter((o) => o.kind === 'Deployment'), 'a remote runs no istiod Deployment').toEqual([]);
  expect(objs.filter((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'istio'), 'a remote has no mesh ConfigMap (its primary\'s istiod writes it)').toEqual([]);
  const svc = find(objs, 'Service', name);
  expect(svc.spec.selector, 'the remote istiod Service selects no pods').toBeUndefined();
  expect((svc.spec.ports as { port: number; targetPort?: number }[]).map((p) => [p.port, p.targetPort ?? p.port])).toEqual([[15012, 15012], [443, 15017]]);
  if (/^(\d+\.){3}\d+$/.test(address)) {
    // Istio 1.28 replaced the chart's Endpoints with an EndpointSlice (remote-istiod-endpointslices.yaml).
    const slices = objs.filter((o) => o.kind === 'EndpointSlice');
    if (slices.length > 0) {
      const slice = find(objs, 'EndpointSlice') as Record<string, any>;
      expect(slice.metadata.labels['kubernetes.io/service-name'], 'EndpointSlice of Service istiod').toBe(name);
      expect(slice.endpoints.flatMap((e: { addresses: string[] }) => e.addresses), 'EndpointSlice istiod: the primary\'s gateway address').toEqual([address]);
      expect(objs.filter((o) => o.kind === 'Endpoints'), 'no Endpoints beside the EndpointSlice').toEqual([]);
    } else {
      const endpoints = find(objs, 'Endpoints', name);
      expect(endpoints.subsets[0].addresses, 'Endpoints istiod: the primary\'s gateway address').toEqual([{ ip: address }]);
    }
  } else {
    expect([svc.spec.type, svc.spec.externalName], 'Service istiod: ExternalName of the primary\'s gateway').toEqual(['ExternalName', address]);
  }
  // The primary's istiod reads and manages this cluster with the reader account's token (the remote
  // secret): the remote profile binds it, with the rights to patch the webhook's CA bundle.
  const reader = `istio-reader-clusterrole${revision ? `-${revision}` : ''}-istio-system`;
  const binding = find(objs, 'ClusterRoleBinding', reader);
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'istio-reader-service-account', namespace: 'istio-system' }]);
  const role = find(objs, 'ClusterRole', reader);
  expect(role.rules, 'reader ClusterRole of a remote').toContainEqual({
    apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], verbs: ['get', 'list', 'watch', 'update', 'patch'],
  });
  const webhook = find(objs, 'MutatingWebhookConfiguration', `istio-sidecar-injector${revision ? `-${revision}` : ''}`);
  const network = istioClusterOf(cluster).network;
  for (const hook of webhook.webhooks as { clientConfig: Record<string, any> }[]) {
    expect(hook.clientConfig.service, `injection webhook ${JSON.stringify(hook)} calls the istiod Service that points at the primary`).toEqual({
      name, namespace: 'istio-system', path: `/inject/cluster/${cluster.name}/net/${network}`, port: 443,
    });
  }
}

for (const { file, name, text } of [...fleetFiles().map((f) => ({ ...f, name: f.file })), ...versionFleets()]) {
  const fleet = loadFleet(text, file);
  const cases = releaseCases(file, text);

  describe(`${name}: every HelmRelease rendered by Helm ${'3'} against the chart it pins`, () => {
    const rendered = new Map<ReleaseCase, Rendered | undefined>();
    beforeAll(async () => {
      if (skipReason) return;
      const results = await Promise.all(cases.map(render));
      cases.forEach((c, i) => rendered.set(c, results[i]));
    });

    it('has HelmReleases to check', () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    for (const c of cases) {
      it.skipIf(skipReason !== undefined)(`${c.cluster}/${c.stage}: ${c.ref.name} (${c.ref.chart} ${c.ref.version})${SKIPPED}`, () => {
        // The pin must match a chart we test against.
        expect(pinDrift(c)).toBeUndefined();
        const chart = chartInfo(c.chartDir!);

        // Helm renders it (values.schema.json is enforced by helm itself) and the output parses.
        const r = rendered.get(c)!;
        expect(r.result.code, `helm template failed:\n${r.result.stderr}`).toBe(0);
        expect(r.parseError).toBeUndefined();
        expect(r.objects.length).toBeGreaterThan(0);

        // Every key we set is one the chart reads.
        expect(undeclaredKeys({ values: c.ref.values, defaults: chart.defaults, schema: chart.schema, freeForm: freeFormPaths(chart.name), alsoDeclared: alsoDeclaredPaths(chart.name) }),
          `value keys ${c.ref.chart} ${c.ref.version} does not declare (Helm silently ignores them)`).toEqual([]);

        // Every kind is built into Kubernetes 1.32 or comes from a CRD installed in this stage or before.
        const known = new Set(K8S_KINDS);
        for (const other of cases) {
          if (other.cluster !== c.cluster || other.stageIndex > c.stageIndex) continue;
          for (const k of crdKinds(rendered.get(other)?.objects ?? [])) known.add(k);
        }
        const unknown = r.objects.filter((o) => !known.has(kindKey(o))).map((o) => `${kindKey(o)} ${o.metadata?.name}`);
        expect(unknown, 'kinds neither built into Kubernetes 1.32 nor defined by a CRD of this or an earlier stage').toEqual([]);

        assertFleetIntent(fleet, fleet.clusters.find((x) => x.name === c.cluster)!, c.ref, r.objects);
      });
    }

    // Flux applies a stage in one server-side dry-run + apply: a custom resource needs its CRD from
    // a chart of an earlier stage (which `wait: true` has made Ready), not of its own.
    it.skipIf(skipReason !== undefined)(`every custom resource meshfleet emits has its CRD installed by a chart of an earlier stage${SKIPPED}`, () => {
      for (const [cluster, stages] of clusterStages(renderedFleet(text, file))) {
        for (const { stage, stageIndex, objects } of stages) {
          const known = new Set(K8S_KINDS);
          for (const c of cases) {
            if (c.cluster === cluster && c.stageIndex < stageIndex) for (const k of crdKinds(rendered.get(c)?.objects ?? [])) known.add(k);
          }
          // A cluster that runs MetalLB already (metallb.install: false) has its CRDs before Flux starts.
          const c = fleet.clusters.find((x) => x.name === cluster)!;
          // KSOPS generator files (Argo CD) are read by kustomize on the hub, never applied to the cluster.
          const preinstalled = [...FLUX_GROUPS, KUSTOMIZE_GENERATORS, ...(metallbOf(c) && !metallbOf(c)!.install ? ['metallb.io'] : [])];
          const missing = objects
            .filter((o) => !known.has(kindKey(o)) && !preinstalled.some((g) => o.apiVersion.startsWith(`${g}/`)))
            .map((o) => `${kindKey(o)} ${o.metadata?.name}`);
          expect(missing, `${cluster}/${stage}: custom resources without a CRD from an earlier stage`).toEqual([]);
        }
      }
    });
  });
}

/**
 * Values meshfleet writes for a Helm release it does not own (the self-managed Cilium values
 * ConfigMap, annotated meshfleet.io/chart-values: <repository>/<chart>): checked against the newest
 * vendored chart of that name, and rendered to see that they land in cilium-config.
 */
describe('values meshfleet writes for your own Helm releases (valuesFrom ConfigMaps)', () => {
  const selfManaged = editFleet((doc) => doc.setIn(['spec', 'clusters', 1, 'cilium', 'managed'], false));
  const fleets = [...fleetFiles(), { file: 'fleet.yaml with self-managed Cilium on ncloud-nks', text: selfManaged }];

  for (const { file, text } of fleets) {
    const fleet = loadFleet(text);
    const configMaps = [...clusterStages(renderedFleet(text))].flatMap(([cluster, stages]) => stages.flatMap((st) => st.objects
      .filter((o) => o.kind === 'ConfigMap' && (o.metadata as { annotations?: Record<string, string> })?.annotations?.['meshfleet.io/chart-values'])
      .map((o) => ({ cluster, object: o as Record<string, any> }))));
    for (const { cluster, object } of configMaps) {
      const chartName = (object.metadata.annotations['meshfleet.io/chart-values'] as string).split('/').pop()!;
      it.skipIf(skipReason !== undefined)(`${file}: ${cluster} ConfigMap ${object.metadata.name} (chart ${chartName})${SKIPPED}`, async () => {
        const versions = vendoredVersions(chartName).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
        expect(versions.length, `no vendored ${chartName} chart in ${CHARTS}`).toBeGreaterThan(0);
        const chart = chartInfo(`${CHARTS}/${chartName}-${versions.at(-1)}`);
        const values = parse(object.data['values.yaml']) as Record<string, unknown>;
        expect(undeclaredKeys({ values, defaults: chart.defaults, schema: chart.schema, freeForm: freeFormPaths(chartName), alsoDeclared: alsoDeclaredPaths(chartName) }),
          `value keys ${chart.name} ${chart.version} does not declare`).toEqual([]);
        const ref: ReleaseRef = { name: chartName, releaseName: chartName, namespace: 'kube-system', chart: chartName, version: chart.version, values, repository: { name: chartName, namespace: 'kube-system' } };
        const result = await helmTemplate(ref, chart.dir);
        expect(result.code, result.stderr).toBe(0);
        if (chartName === 'cilium') {
          const settings = ciliumSettingsOf(fleet.clusters.find((c) => c.name === cluster)!)!;
          expect(find(parseManifests(result.stdout), 'ConfigMap', 'cilium-config').data).toMatchObject({
            'bpf-lb-sock-hostns-only': 'true',
            'cni-exclusive': 'false',
            'enable-l7-proxy': String(!settings.disableL7Proxy),
          });
        }
      });
    }
  }

  it('the self-managed Cilium variant has a values ConfigMap to check', () => {
    expect([...renderedFleet(selfManaged).keys()].some((p) => /ncloud-nks\/infrastructure\/configmap-cilium-istio-values/.test(p))).toBe(true);
  });
});

describe('the Helm harness catches what Helm does not', () => {
  const cases = releaseCases('fleet.yaml', DEFAULT_FLEET);
  const istiod = cases.find((c) => c.ref.chart === 'istiod')!;
  const gateway = cases.find((c) => c.ref.chart === 'gateway')!;

  it.skipIf(skipReason !== undefined)(`a misspelt key (global.meshId) renders with exit 0, and the key check reports it${SKIPPED}`, async () => {
    const global = { ...(istiod.ref.values.global as Record<string, unknown>), meshId: 'mesh1' };
    const typo: ReleaseRef = { ...istiod.ref, values: { ...istiod.ref.values, global } };
    const result = await templateRelease(HELM!, typo, { chartsDir: CHARTS });
    expect(result.code, result.stderr).toBe(0);
    const chart = chartInfo(istiod.chartDir!);
    expect(undeclaredKeys({ values: typo.values, defaults: chart.defaults, schema: chart.schema, freeForm: freeFormPaths('istiod') })).toEqual(['global.meshId']);
  });

  it.skipIf(skipReason !== undefined)(`helm template enforces the chart's values.schema.json${SKIPPED}`, async () => {
    const bad: ReleaseRef = { ...gateway.ref, values: { ...gateway.ref.values, kind: 'StatefulSet' } };
    const result = await templateRelease(HELM!, bad, { chartsDir: CHARTS });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
  });

  it.skipIf(skipReason !== undefined)(`a pin that drifts from the vendored charts fails, saying so${SKIPPED}`, () => {
    // fleet.yaml refuses an untested Istio release, so the drift is made on the rendered release:
    // what a changed default or a hand-edited pin in lib/ would produce.
    const istiod = releaseCases('fleet.yaml', editFleet(() => {})).find((c) => c.ref.chart === 'istiod')!;
    const pinned = istiod.ref.version;
    const problem = pinDrift({ ...istiod, ref: { ...istiod.ref, version: '1.26.9' } });
    expect(problem).toBe(`HelmRelease kt-k2p/istiod pins istiod 1.26.9, but ${CHARTS}/istiod-${pinned}/Chart.yaml says istiod ${pinned}`);
  });
});
