/**
 * What a mesh's CA store (pki/) is made of, as shared code reads it: the files a store implies, how
 * they are read, the certificate rows `pki status` prints, and the encryption rules of .sops.yaml.
 * lib/pki/ and lib/sops/ implement the operations; each mesh's CaProfile fills these in.
 */

/** A file the store implies: store-relative path, and the cluster it belongs to (none: fleet-wide). */
export interface StoreFile {
  readonly path: string;
  readonly cluster?: string;
}

/** Reads a store-relative path; undefined when the file does not exist. */
export type FileReader = (path: string) => string | undefined;

export interface StatusRow {
  subject: string;
  file: string;
  keyType: string;
  notAfter: string;
  daysLeft: number;
  chainOk: boolean;
  /** Whether the certificate's private key (in the encrypted files) matches it; set by withKeyChecks. */
  keyMatch?: KeyMatch;
  /** The store's root of trust (Istio's root, Linkerd's trust anchor, Cilium's fleet CA): `rotate` cannot renew it. */
  root?: true;
}

/** yes: checked and matching; NO: does not match; unknown: nothing to check it with (no fingerprint recorded, no operator identity). */
export type KeyMatch = 'yes' | 'NO' | 'unknown';

/**
 * A certificate of the store and an encrypted Secret that holds it with its private key (a mesh's
 * CaProfile lists them). `certField`/`keyField` are the Secret's stringData keys.
 */
export interface KeyPairFiles {
  readonly cert: string;
  readonly secret: string;
  readonly certField: string;
  readonly keyField: string;
  /** What repairs a mismatch, as a clause, e.g. "run `npm run pki -- rotate kt-k2p`". */
  readonly repair: string;
}

export interface SopsRule {
  /** A regular expression over the file's path. */
  readonly pathRegex: string;
  readonly recipients: readonly string[];
}

/** A certificate and its private key, PEM. */
export interface KeyPair {
  readonly certPem: string;
  readonly keyPem: string;
}

/**
 * A root of trust being replaced (pki/root-rotation.yaml, `npm run pki -- rotate-root`): the root
 * it replaces and the new one by SHA-256 fingerprint, and the clusters already re-issued under the new one.
 */
export interface RotationState {
  readonly from: string;
  readonly to: string;
  readonly reissued: readonly string[];
}

/**
 * Where a rotation stands: `begun` (every cluster trusts both roots, none re-issued), `reissuing`
 * (some clusters re-issued under the new root), `reissued` (all of them: `finish` is next).
 */
export type RotationPhase = 'begun' | 'reissuing' | 'reissued';

/** What a store trusts: its root, and while a rotation is open the new root beside it. */
export interface StoreTrust {
  readonly rootPem: string;
  readonly nextPem?: string;
  readonly state?: RotationState;
}

/** What an output folder delivers to one cluster: the roots it trusts and the certificate it signs with, as SHA-256 fingerprints. */
export interface DeliveredTrust {
  /** Undefined: the output does not record it (files written before meshfleet recorded trust, outside any rotation: the store's root). */
  readonly trusts?: readonly string[];
  readonly signer?: string;
}
