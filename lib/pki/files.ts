/** Helpers every mesh's CA store uses: encrypted files, reading a store, recipient sets. */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors';
import { displayPath, fileKind } from '../format/paths';
import { toYaml } from '../format/yaml';
import { encryptObject, parseSopsText, type Tree } from '../sops/sops';
import { pemDer } from '../format/pem';
import { TXN_DIR } from './transaction';
import type { FileReader, StoreFile } from '../contracts/store';

/**
 * The annotation on every Secret meshfleet writes with a CA key: the SHA-256 fingerprint of the
 * certificate the key belongs to, as `openssl x509 -noout -fingerprint -sha256` prints it. SOPS
 * leaves metadata in plaintext (only data/stringData are encrypted) and its MAC covers it, so a
 * synth without any identity can tell whether the public certificate beside the file is the one
 * the key inside belongs to.
 */
export const CERT_SHA256_ANNOTATION = 'meshfleet.io/certificate-sha256';

/**
 * The certificate's SHA-256 fingerprint (colon-separated upper-case hex, as openssl and
 * X509Certificate.fingerprint256 print it): the hash of the first PEM block's DER, without parsing
 * the certificate (a new store fingerprints every certificate it just made).
 */
export function certFingerprint(pem: string): string {
  const der = pemDer(pem);
  if (!der) throw new Error('certFingerprint: no PEM certificate');
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/**
 * The annotation on a Secret that carries a trust bundle (Istio's cacerts): the SHA-256
 * fingerprints of the roots in it, comma-separated, so that `check` and `diff` can tell what a
 * cluster trusts without decrypting (plaintext metadata, covered by the SOPS MAC).
 */
export const TRUST_SHA256_ANNOTATION = 'meshfleet.io/trust-sha256';

/** `secret` with the fingerprints of the roots in `bundle` recorded in its annotations. */
export function withTrustFingerprints(secret: Tree, bundle: readonly string[]): Tree {
  const metadata = (secret.metadata ?? {}) as { annotations?: Record<string, string> };
  return { ...secret, metadata: { ...metadata, annotations: { ...metadata.annotations, [TRUST_SHA256_ANNOTATION]: bundle.map(certFingerprint).join(',') } } };
}

/** `secret` with the fingerprint of `certPem` recorded in its annotations. */
export function withCertFingerprint(secret: Tree, certPem: string): Tree {
  const metadata = (secret.metadata ?? {}) as { annotations?: Record<string, string> };
  return { ...secret, metadata: { ...metadata, annotations: { ...metadata.annotations, [CERT_SHA256_ANNOTATION]: certFingerprint(certPem) } } };
}

/**
 * One line per file the store implies that is not there. A cluster none of whose files are there
 * is left out (it is not issued yet: the mesh's reader says which command issues it); a cluster
 * with only some of them, and every fleet-wide file, is damage: restore from git.
 */
export function missingStoreFiles(files: readonly StoreFile[], read: FileReader, label: string): string[] {
  const byCluster = new Map<string, StoreFile[]>();
  for (const f of files) if (f.cluster !== undefined) byCluster.set(f.cluster, [...(byCluster.get(f.cluster) ?? []), f]);
  const present = new Map(files.map((f) => [f.path, read(f.path) !== undefined]));
  const out: string[] = [];
  for (const f of files) {
    if (present.get(f.path)) continue;
    const restore = `restore it from git (\`git checkout -- ${label}/${f.path}\`; \`git log --oneline -- ${label}/${f.path}\` finds a commit that has it)`;
    if (f.cluster === undefined) {
      out.push(`${label}/${f.path} is missing (a fleet-wide file of the CA store: every cluster's CA hangs on it): ${restore}`);
    } else if (byCluster.get(f.cluster)!.some((g) => present.get(g.path))) {
      out.push(`${label}/${f.path} is missing while the rest of ${f.cluster}'s CA is there: ${restore}, ` +
        `or give ${f.cluster} a new CA (\`SOPS_AGE_KEY_FILE=<operator key file> npm run pki -- rotate ${f.cluster}\`)`);
    }
  }
  return out;
}

/** The fleet-wide files of one mesh type's CA store: what tells its store from another's. */
export interface StoreKind {
  readonly type: string;
  readonly files: readonly StoreFile[];
}

/**
 * Throws a UsageError when the store holds none of `own`'s fleet-wide files but all of another mesh
 * type's: fleet.yaml's mesh type changed under a store made for the old one. Restoring files from
 * git (what a lost root file asks for) cannot help; the way out is the old type or a new store.
 */
export function assertOwnStore(own: StoreKind, others: readonly StoreKind[], read: FileReader, label: string): void {
  const fleetWide = (k: StoreKind) => k.files.filter((f) => f.cluster === undefined).map((f) => f.path);
  if (fleetWide(own).some((f) => read(f) !== undefined)) return;
  const other = others.find((k) => k.type !== own.type && fleetWide(k).length > 0 && fleetWide(k).every((f) => read(f) !== undefined));
  if (!other) return;
  throw new UsageError(`${label} is the CA store of mesh type ${other.type} (${fleetWide(other).join(', ')}), but fleet.yaml's spec.mesh.type is ${own.type}, ` +
    `whose store starts from ${fleetWide(own).join(' and ')}. Either set spec.mesh.type back to ${other.type}, or start a new store for ${own.type}: ` +
    `move the old one aside (\`git mv ${label} ${label}-${other.type}\`), run \`npm run synth\` (it creates ${label} for ${own.type}), ` +
    `and keep ${label}-${other.type} until no cluster runs the ${other.type} mesh any more.`);
}

/** Throws a UsageError listing missingStoreFiles, if any. */
export function assertStoreComplete(files: readonly StoreFile[], read: FileReader, label: string): void {
  const missing = missingStoreFiles(files, read, label);
  if (missing.length > 0) throw new UsageError(`${label} has lost file(s) the CA store needs:\n${missing.map((m) => `  - ${m}`).join('\n')}`);
}

/** Reads the store's files; the transaction folder (lib/pki/transaction.ts) is never read. */
export function fileReader(dir: string): FileReader {
  return (path) => {
    if (path.split('/')[0] === TXN_DIR) return undefined;
    const full = join(dir, path);
    let stat: Stats;
    try {
      stat = statSync(full);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (!stat.isFile()) {
      // A folder would fail the read with no path in the error; a named pipe would block it forever.
      throw new UsageError(`${displayPath(full)} is ${fileKind(stat)} where the CA store keeps a file: move it out of the way and restore the file from git (\`git checkout -- ${displayPath(full)}\`)`);
    }
    return readFileSync(full, 'utf8');
  };
}

/** `read`, each path read once: for one command's several passes over a store it does not change meanwhile. */
export function readOnce(read: FileReader): FileReader {
  const seen = new Map<string, string | undefined>();
  return (path) => {
    if (!seen.has(path)) seen.set(path, read(path));
    return seen.get(path);
  };
}

/** A SOPS-encrypted object as file text: header comment + canonical YAML. */
export async function encryptedFile(header: string, obj: Tree, recipients: readonly string[], now?: Date): Promise<string> {
  return header + toYaml(await encryptObject(obj, recipients, now));
}

export function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  return sa.size === new Set(b).size && b.every((x) => sa.has(x));
}

/** A certificate of the store, or a UsageError naming the file when it is not one. */
export function readCert(pem: string, label: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw new UsageError(`${label} is not a PEM certificate (${(e as Error).message}): restore it from git (\`git checkout -- ${label}\`)`);
  }
}

/** A SOPS-encrypted object of the store, or a UsageError naming the file when it is not one. */
export function readSopsFile(text: string, label: string): Tree {
  let obj: unknown;
  try {
    obj = parseSopsText(text);
  } catch (e) {
    throw new UsageError(`${label} is not valid YAML (${(e as Error).message.split('\n')[0]}): it may be truncated; restore it from git (\`git checkout -- ${label}\`)`);
  }
  const sops = (obj as { sops?: { age?: unknown[]; mac?: unknown } } | null)?.sops;
  if (!obj || typeof obj !== 'object' || !sops || !Array.isArray(sops.age) || sops.age.length === 0 || typeof sops.mac !== 'string') {
    throw new UsageError(`${label} is not a SOPS file encrypted with age (no sops.age recipients or MAC): restore it from git (\`git checkout -- ${label}\`)`);
  }
  return obj as Tree;
}
