/**
 * A rendered output tree and the objects in it, as the review (lib/review/) and the GitOps engines'
 * removal notices read them.
 */
import type { KubeObject } from '../kube';

/** Files by relative POSIX path → text: a folder on disk, at a git ref, or as synth renders it. */
export type Tree = Map<string, string>;

export interface ObjectRef {
  readonly cluster: string;
  /** The stage folder, or "delivery" for the engine's objects under clusters/<cluster>/, or the top folder. */
  readonly stage: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  /** The file it is in (the new one, or the old one when removed). */
  readonly path: string;
}

/** An object of one side of a change, with where it is. */
export interface LocatedObject {
  readonly ref: ObjectRef;
  readonly object: KubeObject;
}
