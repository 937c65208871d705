/**
 * Everything a user can get wrong outside fleet.yaml's schema — arguments, files, folders, keys,
 * pki/, missing tools — ends in exit 1 with one clear message, no stack trace, and no change on
 * disk. The cases run in-process through main() (the same code path as the CLI); the last one runs
 * the real CLI to prove the process prints no stack either.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeError, main } from '../../lib/cli/main';
import { editFleet, fixture, hashTree, runCli, runMain, synthFleet, tempDir } from '../helpers';

interface Case {
  name: string;
  /** Prepares the repository (before the snapshot) and returns the CLI arguments. */
  setup: (dir: string) => string[];
  env?: (dir: string) => NodeJS.ProcessEnv;
  message: RegExp;
  /** The exit code: 1, or 2 for a wrong command line (usage errors). */
  code?: number;
  /** Text that must not appear in the output (secrets). */
  hidden?: string;
}

const fleet = (dir: string): string[] => ['--fleet', join(dir, 'fleet.yaml')];
const synthArgs = (dir: string): string[] => [...fleet(dir), '--out', join(dir, 'dist')];
const SECRET = `AGE-SECRET-KEY-1${'QQPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L'.repeat(2).slice(0, 58)}` /* built at run time: not a real key, and no literal for the secret scan */;
const operatorKey = (): NodeJS.ProcessEnv => ({ SOPS_AGE_KEY_FILE: join(fixture().dir, 'operator.agekey') });
/** The identity with its last character changed: bech32's checksum catches every single-character change. */
const badChecksum = (id: string): string => id.slice(0, -1) + (id.endsWith('Q') ? 'P' : 'Q');
const replaceIn = (file: string, from: string | RegExp, to: string | ((...m: string[]) => string)): void => writeFileSync(file, readFileSync(file, 'utf8').replace(from, to as string));
/** Flips one base64 character of an encrypted value in a SOPS file, as a hand edit or a bad merge would. */
const alterValue = (file: string, field = 'ca-key.pem'): void =>
  replaceIn(file, new RegExp(`(${field.replace('.', '\\.')}: ENC\\[AES256_GCM,data:)(.)`), (_m: string, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);

const cases: Case[] = [
  { name: 'unknown flag', setup: (d) => [...synthArgs(d), '--chek'], code: 2, message: /^error: unknown option --chek for synth \(did you mean --check\?\)\n\nUsage: npm run synth -- / },
  { name: 'a flag of another command (link --check)', setup: (d) => ['link', ...fleet(d), '--check'], code: 2, message: /link does not take --check \(that is an option of synth\)\n\nUsage: npm run link/ },
  { name: 'unknown command', setup: (d) => ['synthesize', ...fleet(d)], code: 2, message: /unknown command "synthesize" \(did you mean synth\?\)/ },
  { name: 'extra argument to synth', setup: (d) => ['synth', 'now', ...fleet(d)], code: 2, message: /unexpected argument "now"\n\nUsage: npm run synth/ },
  { name: 'pki without an action', setup: (d) => ['pki', ...fleet(d)], code: 2, message: /pki needs one of status, issue, rotate, rekey.*\n\nUsage: npm run pki/ },
  { name: 'a mistyped pki action', setup: (d) => ['pki', 'rekye', ...fleet(d)], code: 2, message: /\(got "rekye"\) \(did you mean rekey\?\)/ },
  // diff's 1 means "differences", which CI reads as a clean result: an argument error must not look like it.
  { name: 'diff with an option where --base wants its value', setup: (d) => ['diff', ...fleet(d), '--base', '-h'], code: 2, message: /--base needs a value, and "-h" after it looks like an option: write --base=-h if that is the value\n\nUsage: npm run diff/ },
  { name: 'diff with an unknown option', setup: (d) => ['diff', ...fleet(d), '--markdwn'], code: 2, message: /unknown option --markdwn for diff \(did you mean --markdown\?\)\n\nUsage: npm run diff/ },
  { name: 'diff --base without a value', setup: (d) => ['diff', ...fleet(d), '--base'], code: 2, message: /--base needs a value\n\nUsage: npm run diff/ },
  { name: 'a boolean option given a value', setup: (d) => ['check', ...fleet(d), '--strict=yes'], code: 2, message: /--strict takes no value \(write --strict alone\)\n\nUsage: npm run check/ },
  { name: 'pki issue without a cluster', setup: (d) => ['pki', 'issue', ...fleet(d)], code: 2, message: /pki issue needs a cluster name\n\nUsage: npm run pki/ },
  { name: 'pki rotate of an unknown cluster', setup: (d) => ['pki', 'rotate', 'nope', ...fleet(d)], env: operatorKey, message: /no cluster named "nope" in fleet.yaml \(clusters: kt-k2p, ncloud-nks, nhn-nks\)/ },
  { name: '--fleet is a folder', setup: (d) => ['--fleet', d, '--out', join(d, 'dist')], message: /is a folder: pass the fleet.yaml file itself/ },
  {
    name: '--fleet is a FIFO (would hang a reader)',
    // Outside the repository: reading the FIFO to snapshot the folder would block the test itself.
    setup: (d) => { const fifo = join(tempDir(), 'fifo.yaml'); execFileSync('mkfifo', [fifo]); return ['--fleet', fifo, '--out', join(d, 'dist')]; },
    message: /fifo.yaml is a named pipe: pass the fleet.yaml file itself/,
  },
  { name: '--fleet does not exist', setup: (d) => ['--fleet', join(d, 'nope.yaml')], message: /fleet file not found/ },
  {
    name: 'fleet file too large',
    setup: (d) => { appendFileSync(join(d, 'fleet.yaml'), `# ${'x'.repeat(1024 * 1024)}\n`); return synthArgs(d); },
    message: /a fleet file is at most 1048576 bytes/,
  },
  {
    name: 'billion laughs',
    setup: (d) => {
      const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
      writeFileSync(join(d, 'fleet.yaml'), `${lines.join('\n')}\n`);
      return synthArgs(d);
    },
    message: /YAML: .*alias.*\n.*fix: +write the values out/i,
  },
  { name: 'binary garbage as fleet.yaml', setup: (d) => { writeFileSync(join(d, 'fleet.yaml'), Buffer.from([0, 159, 146, 150, 255, 10, 58, 58])); return synthArgs(d); }, message: /fleet.yaml is not valid/ },
  { name: '--out is a file', setup: (d) => [...fleet(d), '--out', join(d, 'fleet.yaml')], message: /is a file, not a folder/ },
  {
    name: '--out holds files meshfleet did not write',
    setup: (d) => { mkdirSync(join(d, 'other')); writeFileSync(join(d, 'other', 'keep.txt'), 'mine'); return [...fleet(d), '--out', join(d, 'other')]; },
    message: /refusing to write into .*other: it is not empty and was not written by meshfleet/,
  },
  { name: '--out outside the repository', setup: (d) => [...fleet(d), '--out', join(tempDir(), 'dist')], message: /must be inside the repository Flux syncs/ },
  {
    name: '--out is a symlink that leads outside the repository',
    setup: (d) => { symlinkSync(tempDir(), join(d, 'escape')); return [...fleet(d), '--out', join(d, 'escape', 'dist')]; },
    message: /must be inside the repository Flux syncs/,
  },
  {
    name: '--pki is a symlink that leads outside the repository',
    setup: (d) => { symlinkSync(join(d, 'pki'), join(tempDir(), 'pki-link')); const outside = tempDir(); symlinkSync(outside, join(d, 'pki-out')); return [...synthArgs(d), '--pki', join(d, 'pki-out')]; },
    message: /--pki .* is a symlink \(or below one\) to .*, which is outside the repository of the fleet file/,
  },
  { name: 'root certificate corrupt', setup: (d) => { writeFileSync(join(d, 'pki', 'root-cert.pem'), 'not a certificate\n'); return synthArgs(d); }, message: /pki\/root-cert.pem is not a PEM certificate .*restore it from git/ },
  { name: 'root certificate missing', setup: (d) => { execFileSync('rm', [join(d, 'pki', 'root-cert.pem')]); return synthArgs(d); }, message: /root-cert.pem is missing/ },
  { name: 'intermediate corrupt', setup: (d) => { replaceIn(join(d, 'pki', 'kt-k2p', 'ca-cert.pem'), /[A-Za-z]{20}/, '!!!!'); return synthArgs(d); }, message: /kt-k2p\/ca-cert.pem is not a PEM certificate/ },
  { name: 'cacerts truncated', setup: (d) => { const f = join(d, 'pki', 'ncloud-nks', 'cacerts.sops.yaml'); writeFileSync(f, readFileSync(f, 'utf8').slice(0, 300) + '\n  "unclosed'); return synthArgs(d); }, message: /ncloud-nks\/cacerts.sops.yaml is not valid YAML .*truncated/ },
  { name: 'cacerts without SOPS metadata', setup: (d) => { writeFileSync(join(d, 'pki', 'nhn-nks', 'cacerts.sops.yaml'), 'apiVersion: v1\nkind: Secret\n'); return synthArgs(d); }, message: /nhn-nks\/cacerts.sops.yaml is not a SOPS file encrypted with age/ },
  { name: 'pki status with a corrupt root', setup: (d) => { writeFileSync(join(d, 'pki', 'root-cert.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'); return ['pki', 'status', ...fleet(d)]; }, message: /root-cert.pem is not a PEM certificate/ },
  { name: 'SOPS_AGE_KEY_FILE missing', setup: (d) => ['pki', 'rotate', 'kt-k2p', ...fleet(d)], env: (d) => ({ SOPS_AGE_KEY_FILE: join(d, 'nope.agekey') }), message: /SOPS_AGE_KEY_FILE points at .*nope.agekey, which does not exist/ },
  {
    name: 'SOPS_AGE_KEY_FILE is a named pipe (a read would block, deaf to Ctrl-C)',
    // Outside the repository folder, which the test hashes (reading the pipe would block the test itself).
    setup: (d) => ['pki', 'rotate', 'kt-k2p', ...fleet(d)],
    env: () => { const f = join(tempDir(), 'key.fifo'); execFileSync('mkfifo', [f]); return { SOPS_AGE_KEY_FILE: f }; },
    message: /SOPS_AGE_KEY_FILE points at .*key.fifo, which is a named pipe: point it at the identity file `age-keygen` wrote/,
  },
  { name: 'SOPS_AGE_KEY_FILE is /dev/zero (read until memory runs out)', setup: (d) => ['pki', 'rotate', 'kt-k2p', ...fleet(d)], env: () => ({ SOPS_AGE_KEY_FILE: '/dev/zero' }), message: /SOPS_AGE_KEY_FILE points at \/dev\/zero, which is a device/ },
  { name: 'SOPS_AGE_KEY_FILE is a folder', setup: (d) => ['pki', 'rotate', 'kt-k2p', ...fleet(d)], env: () => ({ SOPS_AGE_KEY_FILE: tempDir() }), message: /SOPS_AGE_KEY_FILE points at .*, which is a folder/ },
  {
    name: 'SOPS_AGE_KEY_FILE is huge',
    setup: (d) => { writeFileSync(join(d, 'huge.agekey'), Buffer.alloc(65 * 1024, 10)); return ['pki', 'rotate', 'kt-k2p', ...fleet(d)]; },
    env: (d) => ({ SOPS_AGE_KEY_FILE: join(d, 'huge.agekey') }),
    message: /huge.agekey, which is 66560 bytes; an age identity file is at most 65536 bytes/,
  },
  { name: 'no operator identity', setup: (d) => { writeFileSync(join(d, 'empty.agekey'), '# nothing\n'); return ['pki', 'rotate', 'kt-k2p', ...fleet(d)]; }, env: (d) => ({ SOPS_AGE_KEY_FILE: join(d, 'empty.agekey') }), message: /needs an operator's age identity/ },
  {
    name: 'operator identity with a bad checksum',
    setup: (d) => { writeFileSync(join(d, 'bad.agekey'), `${badChecksum(fixture().operator.identity)}\n`); return ['pki', 'rotate', 'kt-k2p', ...fleet(d)]; },
    env: (d) => ({ SOPS_AGE_KEY_FILE: join(d, 'bad.agekey') }),
    message: /age identity 1 of 1 is not a valid age secret key/,
    hidden: fixture().operator.identity.slice(20, -1),
  },
  {
    name: 'an identity that is not a recipient',
    setup: (d) => { writeFileSync(join(d, 'other.agekey'), `${fixture().extra.identity}\n`); return ['pki', 'rotate', 'kt-k2p', ...fleet(d)]; },
    env: (d) => ({ SOPS_AGE_KEY_FILE: join(d, 'other.agekey') }),
    message: /none of the given identities can decrypt this file/,
    hidden: fixture().extra.identity,
  },
  { name: 'root key tampered with', setup: (d) => { replaceIn(join(d, 'pki', 'root-key.sops.yaml'), 'istio-root-ca', 'istio-root-cb'); return ['pki', 'rotate', 'kt-k2p', ...fleet(d)]; }, env: operatorKey, message: /pki\/root-key\.sops\.yaml was altered after it was encrypted \(MAC mismatch.*git checkout -- \S*pki\/root-key\.sops\.yaml/ },
  {
    name: 'a cluster CA key altered (pki status says restore, not rotate)',
    setup: (d) => { alterValue(join(d, 'pki', 'kt-k2p', 'cacerts.sops.yaml')); return ['pki', 'status', ...fleet(d)]; },
    env: operatorKey,
    message: /pki\/kt-k2p\/cacerts\.sops\.yaml was altered after it was encrypted \(the value at stringData\.ca-key\.pem fails authentication\): restore it from git/,
  },
  {
    name: 'a CA store file that is a folder (names it)',
    setup: (d) => { const f = join(d, 'pki', 'kt-k2p', 'cacerts.sops.yaml'); rmSync(f); mkdirSync(f); return synthArgs(d); },
    message: /pki\/kt-k2p\/cacerts\.sops\.yaml is a folder where the CA store keeps a file: move it out of the way and restore the file from git/,
  },
  {
    name: 'a CA store file that is a named pipe (refused, not read forever)',
    setup: (d) => { const f = join(d, 'pki', 'root-cert.pem'); rmSync(f); execFileSync('mkfifo', [f]); return synthArgs(d); },
    message: /pki\/root-cert\.pem is a named pipe where the CA store keeps a file/,
  },
  { name: 'kubectl missing for link', setup: (d) => ['link', ...fleet(d)], env: () => ({ KUBECTL: '/nonexistent/kubectl' }), message: /\/nonexistent\/kubectl not found on PATH: install kubectl/ },
  {
    name: 'an age secret key pasted as a recipient is named, never printed',
    setup: (d) => { replaceIn(join(d, 'fleet.yaml'), fixture().operator.recipient, SECRET); return synthArgs(d); },
    message: /is an age SECRET key/,
    hidden: SECRET.slice(16),
  },
  { name: '--check on a hand-edited dist/', setup: (d) => { appendFileSync(join(d, 'dist', 'clusters', 'kt-k2p', 'mesh.yaml'), '# edited\n'); return [...synthArgs(d), '--check']; }, message: /dist is not what .*fleet.yaml renders to/ },
];

describe('failures outside fleet.yaml', () => {
  let template: string;
  beforeAll(async () => {
    ({ dir: template } = await synthFleet());
  });

  it.each(cases)('$name: exit 1 (2 for usage), one message, no stack, nothing changed', async ({ setup, env, message, hidden, code: want = 1 }) => {
    const dir = tempDir();
    execFileSync('cp', ['-a', `${template}/.`, dir]);
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const args = setup(dir);
    const before = hashTree(dir);
    const saved = { ...process.env };
    Object.assign(process.env, env?.(dir) ?? {});
    let out = '';
    let err = '';
    let code: number;
    try {
      code = await main(args, (s) => { out += `${s}\n`; }, (s) => { err += `${s}\n`; });
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    expect(code, out + err).toBe(want);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
    expect(err).not.toContain('unexpected failure');
    if (hidden) expect(out + err).not.toContain(hidden);
    expect(hashTree(dir)).toEqual(before);
  });

  it('the real CLI prints the message and no stack trace, and --debug adds it', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'fleet.yaml'), 'a: &a [1]\nb: *a\n');
    mkdirSync(join(dir, 'fleet.d'));
    const plain = runCli(['--fleet', join(dir, 'fleet.d')]);
    expect([plain.status, plain.stderr]).toEqual([1, expect.stringMatching(/is a folder/)]);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
    const bad = runCli(['--fleet', join(dir, 'fleet.yaml'), '--out', join(dir, 'dist'), '--debug']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/fleet.yaml is not valid/);
  });
});

describe('system errors in meshfleet words', () => {
  const sysError = (code: string, syscall: string, path: string, dest?: string): Error =>
    Object.assign(new Error(`${code}: raw library text`), { code, syscall, path, ...(dest ? { dest } : {}) });

  it('a rename across file systems (a mount point inside dist/) names both paths and the fix', () => {
    const msg = describeError(sysError('EXDEV', 'rename', '/r/dist.meshfleet-staging-1/README.md', '/r/dist/README.md'));
    expect(msg).toContain('/r/dist.meshfleet-staging-1/README.md -> /r/dist/README.md');
    expect(msg).toMatch(/different file systems.*keep --out and pki\/ plain folders/);
    expect(msg).not.toMatch(/^rename .*: EXDEV$/);
  });

  it.each([
    ['ELOOP', /too many symbolic links/],
    ['ENAMETOOLONG', /longer than the file system allows/],
    ['EBUSY', /busy/],
    ['EMFILE', /ulimit -n/],
  ])('%s is explained, not printed as a bare code', (code, want) => {
    const msg = describeError(sysError(code, 'open', '/r/pki/x'));
    expect(msg).toMatch(want);
    expect(msg).toContain('/r/pki/x');
  });
});

/** A small tmpfs at a new folder, or undefined where mounting is not allowed (not root, no tmpfs). */
function smallDisk(bytes: number): string | undefined {
  const dir = tempDir('meshfleet-full-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const canMount = (() => {
  const d = smallDisk(4096);
  if (d) execFileSync('umount', [d]);
  return d !== undefined;
})();
const NO_MOUNT = canMount ? '' : ' — SKIPPED: mounting a small tmpfs needs root';

describe('a disk that fills up during synth (issue 21 item 10)', () => {
  it.skipIf(!canMount)(`a first synth takes its new CA store back, so "Nothing was written" is true${NO_MOUNT}`, async () => {
    const dir = smallDisk(64 * 1024)!;
    try {
      writeFileSync(join(dir, 'fleet.yaml'), readFileSync(join(__dirname, '..', '..', 'examples', 'linkerd-kpaas.yaml'), 'utf8'));
      const r = await runMain(synthArgs(dir));
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no space left on the device/);
      expect(r.err).toContain('Nothing was written.');
      expect(readdirSync(dir)).toEqual(['fleet.yaml']);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it.skipIf(!canMount)(`a synth that re-encrypted the store before the disk filled says so, not "Nothing was written"${NO_MOUNT}`, async () => {
    const f = fixture();
    const src = tempDir();
    cpSync(join(f.dir, 'pki'), join(src, 'pki'), { recursive: true });
    // A new operator: synth re-encrypts the store's files to it (small), then writes dist/ (large).
    // Room for the store twice over (its journal) and some, not for dist/ (86 files, ~500 KiB).
    const pages = Object.keys(hashTree(join(src, 'pki'))).reduce((n, file) => n + Math.ceil(statSync(join(src, 'pki', file)).size / 4096), 0);
    const dir = smallDisk((2 * pages + 16) * 4096)!;
    try {
      cpSync(join(src, 'pki'), join(dir, 'pki'), { recursive: true });
      writeFileSync(join(dir, 'fleet.yaml'), editFleet((d) => d.setIn(['spec', 'secrets', 'operators'], d.createNode([f.operator.recipient, f.extra.recipient])), f.fleetText));
      const r = await runMain(synthArgs(dir), operatorKey());
      expect(r.code, r.err).toBe(1);
      expect(r.err).toMatch(/no space left on the device/);
      expect(r.err).not.toContain('Nothing was written');
      expect(r.err).toMatch(/Written before the failure:\n {2}- \S*pki: \d+ file\(s\) re-encrypted or recorded, 0 removed \(the change is complete: keep it\)\nRun the command again once the cause is fixed/);
    } finally {
      execFileSync('umount', [dir]);
    }
  });
});
