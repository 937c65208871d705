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
