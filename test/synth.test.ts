/**
 * The rendered tree as users and Flux see it: kustomize builds every stage, every object passes
 * its upstream schema, output is deterministic across runs, time zones and locales, the fleet can
 * grow and shrink, and synth --check tells an up-to-date folder from a stale one. (That this
 * repository's own dist/ is what its fleet.yaml renders to is a fleet check: .ci/run runs it.)
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parseDocument, YAMLMap } from 'yaml';
import type { KubeObject } from '../lib/kube';
import { editFleet, fixture, fixtureDir, hashTree, hasKubectl, kubectlKustomize, ROOT, runCli, synthFleet, tempDir, withOperator } from './helpers';
import { issueIntermediate as issue } from '../lib/mesh/istio/ca';
import { loadFleet, outputValidator } from '../lib/pipeline';

function stageDirs(out: string): string[] {
  const root = join(out, 'manifests');
  return readdirSync(root).flatMap((c) => readdirSync(join(root, c)).map((s) => join(root, c, s)));
}

function yamlFiles(out: string): string[] {
  return Object.keys(hashTree(out)).filter((f) => f.endsWith('.yaml')).map((f) => join(out, f));
}

describe('the default fleet', () => {
  let out: string;
  beforeAll(async () => {
    ({ out } = await synthFleet());
  });

  it.skipIf(!hasKubectl)(`kubectl kustomize builds every stage folder of every cluster${hasKubectl ? '' : ' — SKIPPED: kubectl is not installed'}`, () => {
    const dirs = stageDirs(out);
    expect(dirs.length).toBe(16);
    for (const dir of dirs) {
      const built = parseAllDocuments(kubectlKustomize(dir)).map((d) => d.toJS() as KubeObject);
      const listed = (parseDocument(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).toJS() as { resources: string[] }).resources;
      expect(built.length, dir).toBe(listed.length);
    }
  });

  it('every emitted object passes its upstream schema', () => {
    const validator = outputValidator();
    let count = 0;
    for (const file of yamlFiles(out)) {
      if (file.endsWith('kustomization.yaml')) continue;
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        // SOPS metadata is removed by Flux before it applies the object.
        const { sops: _sops, ...obj } = doc.toJS() as KubeObject;
        expect(validator.validate(obj as KubeObject), `${file}: ${obj.kind}`).toEqual([]);
        count++;
      }
    }
    expect(count).toBeGreaterThan(40);
  });

  it('the validator rejects a misspelt field and a bad chart value', () => {
    const validator = outputValidator();
    const gateway = parseDocument(readFileSync(join(out, 'manifests/kt-k2p/mesh/helmrelease-istio-eastwestgateway.yaml'), 'utf8')).toJS() as KubeObject;
    const typo = structuredClone(gateway);
    (typo.spec as Record<string, unknown>).intervall = '5m';
    expect(validator.validate(typo).join('\n')).toMatch(/additional properties "intervall"/);
    const badValue = structuredClone(gateway);
    ((badValue.spec as { values: Record<string, unknown> }).values).kind = 'StatefulSet';
    expect(validator.validate(badValue).join('\n')).toMatch(/spec.values \(chart gateway 1\.30\.3\)/);
    expect(validator.validate({ apiVersion: 'example.com/v1', kind: 'Nope', metadata: { name: 'x' } })[0]).toMatch(/no schema/);
  });

  it('stage Kustomizations chain with dependsOn, wait and prune, and point at their folders', () => {
    const mesh = parseDocument(readFileSync(join(out, 'clusters/ncloud-nks/mesh.yaml'), 'utf8')).toJS();
    // Prefixed (issue 15), so they cannot collide with a user's own Kustomizations in flux-system.
    expect(mesh.metadata.name).toBe('meshfleet-mesh');
    expect(mesh.spec).toMatchObject({
      path: './dist/manifests/ncloud-nks/mesh',
      dependsOn: [{ name: 'meshfleet-mesh-prereqs' }],
      prune: true,
      wait: true,
      sourceRef: { kind: 'GitRepository', name: 'flux-system' },
    });
    expect(existsSync(join(out, 'manifests/ncloud-nks/mesh'))).toBe(true);
    const apps = parseDocument(readFileSync(join(out, 'clusters/ncloud-nks/apps.yaml'), 'utf8')).toJS();
    expect(apps.spec.dependsOn).toEqual([{ name: 'meshfleet-mesh-config' }]);
    expect(readdirSync(join(out, 'clusters/ncloud-nks')).sort()).toEqual(
      ['apps.yaml', 'infrastructure-config.yaml', 'infrastructure.yaml', 'mesh-config.yaml', 'mesh-prereqs.yaml', 'mesh.yaml'],
    );
  });

  it('writes dist/README.md with the topology and a table per cluster', () => {
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('```mermaid');
    for (const c of ['kt-k2p', 'ncloud-nks', 'nhn-nks']) expect(readme).toContain(`### ${c}`);
    expect(readme).toContain('`203.0.113.10:15443`');
    expect(readme).toContain('flux bootstrap git --context=kt');
  });
});

describe('determinism', () => {
  it('synth twice gives byte-identical output, pki/ included', async () => {
    const { dir, out } = await synthFleet();
    const first = hashTree(dir);
    await synthFleet(fixture().fleetText, dir);
    expect(hashTree(dir)).toEqual(first);
    expect(Object.keys(first)).toContain('.sops.yaml');
    expect(hashTree(out)).not.toEqual({});
  });

  it('is the same under another time zone and locale', () => {
    const outputs = [
      { TZ: 'Asia/Seoul', LC_ALL: 'C.UTF-8', LANG: 'ko_KR.UTF-8' },
      { TZ: 'UTC', LC_ALL: 'C', LANG: 'C' },
    ].map((env) => {
      const dir = fixtureDir();
      const r = runCli(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist')], env);
      expect(r.status, r.stderr).toBe(0);
      return hashTree(join(dir, 'dist'));
    });
    expect(outputs[0]).toEqual(outputs[1]);
  });
});

describe('growing and shrinking the fleet', () => {
  const fourth = {
    name: 'onprem-kpaas',
    context: 'onprem',
    network: 'network4',
    apiServer: 'https://kpaas-api.example.com:6443',
    ageRecipient: '',
    cni: 'cilium',
  };

  it('a fourth cluster gets a full tree and nothing else changes but what it joins', async () => {
    const { dir, out } = await synthFleet();
    const before = hashTree(out);
    const withFourth = editFleet((doc) => (doc.getIn(['spec', 'clusters']) as { add(v: unknown): void })
      .add(doc.createNode({ ...fourth, ageRecipient: fixture().extra.recipient })), fixture().fleetText);
    writeFileSync(join(dir, 'fleet.yaml'), withFourth);
    await withOperator(() => issue(loadFleet(withFourth), join(dir, 'pki'), 'onprem-kpaas', false));
    await synthFleet(withFourth, dir);
    const after = hashTree(out);
    const added = Object.keys(after).filter((f) => !(f in before));
    expect(added.filter((f) => !f.includes('onprem-kpaas'))).toEqual([]);
    expect(added.sort()).toEqual(expect.arrayContaining([
      'clusters/onprem-kpaas/mesh-prereqs.yaml', 'clusters/onprem-kpaas/mesh.yaml', 'clusters/onprem-kpaas/mesh-config.yaml', 'clusters/onprem-kpaas/apps.yaml',
      'istioctl/onprem-kpaas.yaml', 'manifests/onprem-kpaas/mesh/helmrelease-istiod.yaml', 'manifests/onprem-kpaas/apps/deployment-reviews-v1.yaml',
    ]));
    // sleep moves to the new last cluster: nhn-nks loses it
    expect(Object.keys(before).filter((f) => !(f in after))).toEqual(
      ['manifests/nhn-nks/apps/deployment-sleep.yaml', 'manifests/nhn-nks/apps/service-sleep.yaml', 'manifests/nhn-nks/apps/serviceaccount-sleep.yaml'],
    );
  });

  it('removing a cluster deletes its folders and nothing else, and leaves flux-system alone', async () => {
    // Sample placement defaults follow list position; pinned placement keeps the other clusters still.
    const pinned = editFleet((doc) => {
      const placements = [{ reviews: ['v1'], sleep: false }, { reviews: ['v2'], sleep: false }, { reviews: ['v3'], sleep: true }];
      placements.forEach((p, i) => doc.setIn(['spec', 'clusters', i, 'samples'], doc.createNode(p)));
    }, fixture().fleetText);
    const { dir, out } = await synthFleet(pinned);
    const fluxOwned = join(out, 'clusters', 'ncloud-nks', 'flux-system');
    mkdirSync(fluxOwned, { recursive: true });
    writeFileSync(join(fluxOwned, 'gotk-sync.yaml'), 'kind: GitRepository\n');
    const before = hashTree(out);
    await synthFleet(editFleet((doc) => (doc.getIn(['spec', 'clusters']) as { items: YAMLMap[] }).items.splice(1, 1), pinned), dir);
    const after = hashTree(out);
    const removed = Object.keys(before).filter((f) => !(f in after));
    const changed = Object.keys(after).filter((f) => before[f] !== after[f]);
    expect(removed.length).toBeGreaterThan(10);
    expect(removed.filter((f) => !f.includes('ncloud-nks'))).toEqual([]);
    expect(changed).toEqual(['README.md']);
    expect(readFileSync(join(fluxOwned, 'gotk-sync.yaml'), 'utf8')).toBe('kind: GitRepository\n');
    expect(existsSync(join(out, 'manifests', 'ncloud-nks'))).toBe(false);
    expect(existsSync(join(out, 'istioctl', 'ncloud-nks.yaml'))).toBe(false);
    expect(readdirSync(join(out, 'clusters', 'ncloud-nks'))).toEqual(['flux-system']);
  });
});

describe('synth --check', () => {
  it('passes on the folder synth wrote, saying so', async () => {
    const { dir, out } = await synthFleet();
    const r = runCli(['--check', '--fleet', join(dir, 'fleet.yaml'), '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`is up to date with ${join(dir, 'fleet.yaml')}`);
    expect(r.status).toBe(0);
  });

  it('--check fails and lists the drift when dist/ is stale', async () => {
    const { dir, out } = await synthFleet();
    writeFileSync(join(out, 'manifests/kt-k2p/mesh/helmrelease-istiod.yaml'), 'edited by hand\n');
    writeFileSync(join(out, 'manifests/kt-k2p/mesh/leftover.yaml'), 'kind: ConfigMap\n');
    const r = runCli(['--fleet', join(dir, 'fleet.yaml'), '--out', out, '--check']);
    expect(r.status).toBe(1);
    // The hand-edited file no longer holds the object; the leftover one holds a ConfigMap.
    expect(r.stderr).toContain('removed  kt-k2p/mesh HelmRelease istio-system/istiod');
    expect(r.stderr).toContain('added    kt-k2p/mesh ConfigMap leftover.yaml');
    expect(r.stderr).toContain('changed  manifests/kt-k2p/mesh/helmrelease-istiod.yaml');
    rmSync(join(dir, '.sops.yaml'));
    expect(runCli(['--fleet', join(dir, 'fleet.yaml'), '--out', out, '--check']).stderr).toContain('changed: ../.sops.yaml (the sops rules beside fleet.yaml)');
  });
});

describe('the command line', () => {
  it('--help lists every option', () => {
    const r = runCli(['--help']);
    expect(r.status).toBe(0);
    for (const option of ['--fleet', '--out', '--check', '--help']) expect(r.stdout).toContain(option);
  });

  it('an unknown option is a usage error: exit 2, the usage, did you mean', () => {
    const r = runCli(['--flet', 'x.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: unknown option --flet for synth (did you mean --fleet?)\n\nUsage: npm run synth -- ');
  });

  it('one checkout renders several fleets side by side', () => {
    const dir = tempDir();
    for (const name of ['a', 'b']) {
      const fleetDir = fixtureDir(fixture().fleetText.replace('name: kpaas-csp', `name: fleet-${name}`));
      cpSync(fleetDir, join(dir, name), { recursive: true });
    }
    mkdirSync(join(dir, '.git'));
    for (const name of ['a', 'b']) {
      const r = runCli(['--fleet', join(dir, name, 'fleet.yaml'), '--out', join(dir, name, 'dist')]);
      expect(r.status, r.stderr).toBe(0);
      const mesh = parseDocument(readFileSync(join(dir, name, 'dist/clusters/kt-k2p/mesh.yaml'), 'utf8')).toJS();
      expect(mesh.spec.path).toBe(`./${name}/dist/manifests/kt-k2p/mesh`);
    }
  });

  it('refuses an output folder it did not write', () => {
    const dir = fixtureDir();
    mkdirSync(join(dir, 'precious'));
    writeFileSync(join(dir, 'precious', 'notes.txt'), 'keep me');
    const r = runCli(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'precious')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to write into');
    expect(readdirSync(join(dir, 'precious'))).toEqual(['notes.txt']);
  });
});

it('runs from the project root with the README command', () => {
  expect(existsSync(join(ROOT, 'README.md'))).toBe(true);
  expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/npm ci && npm run synth/);
});
