/**
 * `npm run diff` on real fleet changes, in a git repository made per test: it must report exactly
 * the objects and fields that change, secrets only by their public certificate, never ciphertext.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main';
import { issueIntermediate as issue } from '../../lib/mesh/istio/ca';
import { loadFleet } from '../../lib/pipeline';
import { editFleet, fixture, synthFleet, withOperator } from '../helpers';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir, encoding: 'utf8' });
}

/** A git repository holding the fixture fleet, its pki/ and dist/, committed. */
async function repo(): Promise<string> {
  const { dir } = await synthFleet();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'base');
  return dir;
}

async function diff(dir: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['diff', '--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist'), ...extra], (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The object lines of the text output: "<cluster> <sign> <stage> <Kind ns/name>". */
function objects(text: string): string[] {
  const out: string[] = [];
  let cluster = '';
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) cluster = line;
    const m = line.match(/^ {2}([+±-]) (\S+) {2}(\S+ \S+) {2}/);
    if (m) out.push(`${cluster} ${m[1]} ${m[2]} ${m[3]}`);
  }
  return out.sort();
}

const write = async (dir: string, text: string): Promise<void> => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'fleet.yaml'), text);
};

describe('npm run diff', () => {
  it('reports nothing and exits 0 when fleet.yaml renders to the committed dist/ (working tree and --base)', async () => {
    const dir = await repo();
    for (const args of [[], ['--base', 'HEAD'], ['--base', 'main', '--markdown']]) {
      const r = await diff(dir, ...args);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/no differences|No differences/);
    }
  }, 60_000);

  it('a renamed network: exactly the objects that carry it, with old → new', async () => {
    const dir = await repo();
    await write(dir, editFleet((d) => d.setIn(['spec', 'clusters', 1, 'network'], 'network9'), fixture().fleetText));
    const r = await diff(dir);
    expect(r.code).toBe(1);
    expect(objects(r.out)).toEqual([
      'ncloud-nks ± istioctl IstioOperator istio-system/ncloud-nks',
      'ncloud-nks ± mesh HelmRelease istio-system/istio-eastwestgateway',
      'ncloud-nks ± mesh HelmRelease istio-system/istiod',
      'ncloud-nks ± mesh-prereqs Namespace istio-system',
    ]);
    expect(r.out).toContain('      spec.values.global.network\n        ± network2 → network9');
    expect(r.out).toContain('      metadata.labels["topology.istio.io/network"]\n        ± network2 → network9');
    expect(r.out).toContain('      spec.values.networkGateway\n        ± network2 → network9');
    expect(r.out).toContain('± README.md  changed');
    expect(r.out).toContain('0 added, 0 removed, 4 changed object(s), 1 other file(s)');

    const md = await diff(dir, '--markdown');
    expect(md.code).toBe(1);
    expect(md.out).toContain('<details><summary><b>ncloud-nks</b>: 0 added, 0 removed, 4 changed</summary>');
    expect(md.out).toContain('| mesh | HelmRelease istio-system/istiod | changed (1 field) |');
    expect(md.out).toContain('```diff');
  }, 60_000);

  // The sleep sample runs on the last cluster (lib/samples/placement.ts), so it moves with it.
  const SLEEP = ['Deployment sample/sleep', 'Service sample/sleep', 'ServiceAccount sample/sleep'];

  it('a cluster removed: every object of that cluster, removed; the sleep sample moves to the new last cluster', async () => {
    const dir = await repo();
    await write(dir, editFleet((d) => d.deleteIn(['spec', 'clusters', 2]), fixture().fleetText));
    const r = await diff(dir);
    expect(r.code).toBe(1);
    const found = objects(r.out);
    const committed = git(dir, 'ls-files', 'dist/manifests/nhn-nks', 'dist/clusters/nhn-nks', 'dist/istioctl/nhn-nks.yaml').trim().split('\n');
    expect(found.filter((l) => l.startsWith('nhn-nks - ')).length).toBe(committed.length);
    expect(found.filter((l) => !l.startsWith('nhn-nks - '))).toEqual([
      ...SLEEP.map((o) => `ncloud-nks + apps ${o}`), 'ncloud-nks ± apps Kustomization kustomization.yaml',
    ].sort());
    expect(r.out).toContain('      resources[]\n        + deployment-sleep.yaml');
    expect(found).toContain('nhn-nks - mesh-prereqs Secret istio-system/cacerts');
    expect(found).toContain('nhn-nks - delivery Kustomization flux-system/meshfleet-mesh');
  }, 60_000);

  it('a cluster added: its objects, added; the CA store gains its certificate; no ciphertext printed', async () => {
    const dir = await repo();
    const withFourth = editFleet((d) => (d.getIn(['spec', 'clusters']) as { add(v: unknown): void }).add(d.createNode({
      name: 'onprem-kpaas', context: 'kpaas', network: 'network4', apiServer: 'https://kpaas.example.com:6443', ageRecipient: fixture().extra.recipient, cni: 'calico',
    })), fixture().fleetText);
    await write(dir, withFourth);
    await withOperator(() => issue(loadFleet(withFourth), join(dir, 'pki'), 'onprem-kpaas', false));
    const r = await diff(dir);
    expect(r.code).toBe(1);
    const found = objects(r.out);
    expect(found.filter((l) => !l.startsWith('onprem-kpaas + '))).toEqual([
      ...SLEEP.map((o) => `nhn-nks - apps ${o}`), 'nhn-nks ± apps Kustomization kustomization.yaml',
    ].sort());
    expect(found).toContain('onprem-kpaas + mesh-prereqs Secret istio-system/cacerts');
    expect(found).toContain('onprem-kpaas + mesh HelmRelease istio-system/istiod');
    expect(found).toContain('onprem-kpaas + delivery Kustomization flux-system/meshfleet-mesh-prereqs');
    expect(r.out).toMatch(/onprem-kpaas\/ca-cert\.pem: added \(.*onprem-kpaas.*, serial [0-9a-f]+, expires \d{4}-\d\d-\d\d\)/);
    expect(r.out).not.toContain('ENC[');
  }, 60_000);

  it('a rotated certificate: the cacerts Secret, by subject, serial and expiry; keys and ciphertext never shown', async () => {
    const dir = await repo();
    const oldSerial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', join(dir, 'pki/ncloud-nks/ca-cert.pem')], { encoding: 'utf8' }).trim().split('=')[1]!.toLowerCase();
    await withOperator(() => issue(loadFleet(fixture().fleetText), join(dir, 'pki'), 'ncloud-nks', true));
    const newSerial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', join(dir, 'pki/ncloud-nks/ca-cert.pem')], { encoding: 'utf8' }).trim().split('=')[1]!.toLowerCase();
    const check = (out: string): void => {
      expect(objects(out)).toEqual(['ncloud-nks ± mesh-prereqs Secret istio-system/cacerts']);
      expect(out).toContain(`stringData["ca-cert.pem"]  (certificate ncloud-nks/ca-cert.pem: serial ${oldSerial} → ${newSerial}`);
      expect(out).toContain('stringData["ca-key.pem"]  (private value, not shown)');
      expect(out).toContain('stringData["root-cert.pem"]  (re-encrypted; the certificate (ncloud-nks/root-cert.pem) is unchanged)');
      expect(out).toContain('± (encrypted) → (encrypted)');
      expect(out).not.toMatch(/ENC\[|BEGIN|lastmodified|mac/);
    };
    const working = await diff(dir);
    expect(working.code).toBe(1);
    check(working.out);
    // After synth and commit, the pull request's view: --base the commit before.
    await synthFleet(fixture().fleetText, dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'rotate');
    expect((await diff(dir)).code).toBe(0);
    const pr = await diff(dir, '--base', 'HEAD~1');
    expect(pr.code).toBe(1);
    check(pr.out);
  }, 90_000);

  it('an unknown --base fails with exit 2, naming the ref', async () => {
    const dir = await repo();
    const r = await diff(dir, '--base', 'no-such-branch');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--base no-such-branch is not a commit in');
  }, 60_000);
});
