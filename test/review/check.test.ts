/** `npm run check` (the CI gate) and `synth --check`, object by object, on real drift. */
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../lib/cli/main';
import { SchemaValidator } from '../../lib/schema/validate';
import { synthFleet } from '../helpers';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const ISTIOD = 'manifests/kt-k2p/mesh/helmrelease-istiod.yaml';

describe('npm run check', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fails on a hand-edited dist/ file, naming the object and the field, and passes after synth', async () => {
    const { dir, out } = await synthFleet();
    const args = ['check', '--fleet', join(dir, 'fleet.yaml'), '--out', out];
    const clean = await cli(...args);
    expect(clean.code).toBe(0);
    expect(clean.out).toContain('check passed');
    expect(clean.err).toContain('warning: 6 link(s) pending');

    const file = join(out, ISTIOD);
    writeFileSync(file, readFileSync(file, 'utf8').replace('network: network1', 'network: network7'));
    const r = await cli(...args);
    expect(r.code).toBe(1);
    expect(r.err).toContain('check failed: 1 problem(s)');
    expect(r.err).toContain('is not what');
    expect(r.err).toContain('run `npm run synth` and commit the result');
    expect(r.err).toContain('changed  kt-k2p/mesh HelmRelease istio-system/istiod: spec.values.global.network');

    await synthFleet(readFileSync(join(dir, 'fleet.yaml'), 'utf8'), dir);
    expect((await cli(...args)).code).toBe(0);
  }, 60_000);

  it('fails when an emitted object fails its schema, naming the file, the object and the field', async () => {
    const { dir, out } = await synthFleet();
    // A schema the object does not meet, as a newer CRD (or a value passed through unchecked) would give.
    const real = SchemaValidator.prototype.validate;
    const spy = vi.spyOn(SchemaValidator.prototype, 'validate').mockImplementation(function (this: SchemaValidator, obj) {
      return obj.kind === 'Gateway' ? ['/spec/servers/0/port/number: must be <= 1024'] : real.call(this, obj);
    });
    try {
      const r = await cli('check', '--fleet', join(dir, 'fleet.yaml'), '--out', out);
      expect(r.code).toBe(1);
      expect(r.err).toContain('objects fail their schema');
      expect(r.err).toContain('manifests/kt-k2p/mesh-config/gateway-cross-network-gateway.yaml: Gateway istio-system/cross-network-gateway /spec/servers/0/port/number: must be <= 1024');
    } finally {
      spy.mockRestore();
    }
  }, 60_000);

  it('--strict turns pending links into a failure', async () => {
    const { dir, out } = await synthFleet();
    const r = await cli('check', '--strict', '--fleet', join(dir, 'fleet.yaml'), '--out', out);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1\. 6 link\(s\) pending \(.*\): once the clusters run the mesh-config stage, run `npm run link`/);
  }, 60_000);

  it('fails on a stale .sops.yaml and on a certificate that expires within 30 days', async () => {
    const { dir, out } = await synthFleet();
    rmSync(join(dir, '.sops.yaml'));
    // Eleven years on, every certificate of the store (root 10 years, intermediates less) has expired.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(Date.now() + 11 * 365 * 86_400_000));
    const r = await cli('check', '--fleet', join(dir, 'fleet.yaml'), '--out', out);
    vi.useRealTimers();
    expect(r.code).toBe(1);
    expect(r.err).toContain('check failed: 2 problem(s)');
    expect(r.err).toMatch(/\.sops\.yaml is not what .* implies \(run `npm run synth` and commit it\)/);
    expect(r.err).toContain('certificate(s) missing, not chaining to the root, or expiring within 30 days (fix each as it says, then `npm run synth`)');
    // the root has expired with its intermediates: a new store, not `rotate`, renews them
    expect(r.err).toMatch(/pki\/root-cert\.pem: .*\(expired\): this is the root of trust itself/);
    expect(r.err).toMatch(/kt-k2p\/ca-cert\.pem: .*\(expired\): no certificate outlives the root of trust/);
  }, 60_000);
});

describe('synth --check', () => {
  it('lists objects, not files: a changed field, an added and a removed object, a deleted file called removed', async () => {
    const { dir, out } = await synthFleet();
    const file = join(out, ISTIOD);
    writeFileSync(file, readFileSync(file, 'utf8').replace('network: network1', 'network: network7'));
    writeFileSync(join(out, 'manifests/kt-k2p/mesh/configmap-leftover.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leftover\n  namespace: istio-system\n');
    unlinkSync(join(out, 'manifests/nhn-nks/apps/service-sleep.yaml'));
    const r = await cli('--fleet', join(dir, 'fleet.yaml'), '--out', out, '--check');
    expect(r.code).toBe(1);
    expect(r.err).toContain('changed  kt-k2p/mesh HelmRelease istio-system/istiod: spec.values.global.network');
    // From dist/'s side: an object synth would not write is added, a deleted file is removed.
    expect(r.err).toContain('added    kt-k2p/mesh ConfigMap istio-system/leftover');
    expect(r.err).toContain('removed  nhn-nks/apps Service sample/sleep');
    expect(r.err).not.toContain('helmrelease-istiod.yaml');
  }, 60_000);
});
