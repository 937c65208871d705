/**
 * The root-of-trust rotation's view of an output folder (lib/pki/rotation.ts runs the phases):
 * what each cluster's output delivers (the roots it trusts, the certificate it signs with), read
 * through every GitOps engine's delivery objects; and the refusal of a phase whose previous one is
 * not committed yet.
 */
import { spawnSync } from 'node:child_process';
import { relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { RootRotation } from '../contracts/mesh';
import type { DeliveredTrust } from '../contracts/store';
import type { Tree } from '../contracts/tree';
import type { KubeObject } from '../kube';
import { UsageError } from '../errors';
import type { Fleet } from '../fleet/types';
import { displayPath, posixPath } from '../format/paths';
import { fileReader } from '../pki/files';
import { storeTrustOf, trustChanges, trustProofs } from '../pki/rotation';
import { gitRoot } from '../review/tree';
import { outTree } from './drift';
import { clusterOf, releasesAmong } from './upgrades';
import type { Paths } from './workspace';

/** Per cluster, what an output tree delivers to its trust, as the mesh reads it from the cluster's Secrets and Helm releases. */
export function deliveredTrust(tree: Tree, rr: RootRotation): Map<string, DeliveredTrust> {
  const entries: { path: string; object: Record<string, unknown> }[] = [];
  for (const [path, text] of tree) {
    // Only the files that can hold a Secret or a release are parsed (not the CRDs).
    if (!clusterOf(path) || !path.endsWith('.yaml') || !/kind: (Secret|HelmRelease|Application)\b/.test(text)) continue;
    for (const d of parseAllDocuments(text)) {
      const object = d.toJS() as Record<string, unknown> | null;
      if (object !== null && typeof object === 'object') entries.push({ path, object });
    }
  }
  return deliveredByObjects(entries, rr);
}

/** The same from objects already parsed (a rendering's `emitted`). */
export function deliveredByObjects(entries: Iterable<{ readonly path: string; readonly object: object }>, rr: RootRotation): Map<string, DeliveredTrust> {
  const byCluster = new Map<string, Record<string, unknown>[]>();
  for (const { path, object } of entries) {
    const cluster = clusterOf(path);
    if (!cluster) continue;
    const list = byCluster.get(cluster);
    if (list) list.push(object as Record<string, unknown>);
    else byCluster.set(cluster, [object as Record<string, unknown>]);
  }
  const out = new Map<string, DeliveredTrust>();
  for (const [cluster, objects] of byCluster) {
    const d = rr.delivered(objects, releasesAmong(objects as unknown as KubeObject[]));
    if (d) out.set(cluster, d);
  }
  return out;
}

/**
 * A phase starts only from a committed one: pki/ and the output folder have no uncommitted change,
 * and the committed output delivers what the store's phase says (every cluster trusting its roots,
 * signing with its certificate). Throws a UsageError naming what to do.
 */
export function assertPhaseCommitted(p: Paths, fleet: Fleet, rr: RootRotation, command: string): void {
  assertCommitted(p, command);
  const label = displayPath(p.pkiDir);
  const read = fileReader(p.pkiDir);
  const trust = storeTrustOf(rr, read, label);
  if (!trust) return;
  const lines = trustProofs(fleet, read, rr, trust, deliveredTrust(outTree(p.outDir), rr), label, displayPath(p.outDir)).problems;
  if (lines.length > 0) {
    throw new UsageError(`the committed ${displayPath(p.outDir)} does not deliver what ${label}/ records yet, so the previous phase has not reached the clusters:\n` +
      `${lines.map((l) => `  - ${l}`).join('\n')}`);
  }
}

/** pki/ and the output folder have no uncommitted change (a rotation's phases start from a commit). */
export function assertCommitted(p: Paths, command: string): void {
  const root = gitRoot(p.fleetDir);
  if (!root) throw new UsageError(`\`${command}\` needs the fleet in a git repository: each phase of a rotation is a reviewed commit, and the next one starts from it`);
  const paths = [p.pkiDir, p.outDir].map((d) => posixPath(relative(root, d)) || '.');
  const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all', '--', ...paths], { cwd: root, encoding: 'utf8' });
  if (status.status !== 0) throw new UsageError(`git status failed in ${root}: ${status.stderr.trim()}`);
  const dirty = status.stdout.split('\n').filter(Boolean).map((l) => l.slice(3));
  if (dirty.length > 0) {
    throw new UsageError(`${displayPath(p.pkiDir)} or ${displayPath(p.outDir)} has changes that are not committed (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? `, ${dirty.length - 5} more` : ''}): ` +
      `each phase of a rotation starts from a committed one. Run \`npm run synth\`, review, commit and push, let every cluster sync it, then run \`${command}\` again`);
  }
}

/**
 * diff's "Trust" lines: per cluster whose output changes, the roots it trusts before and after and
 * a re-issued certificate, by fingerprint (never a key). Only clusters with a changed file are read.
 */
export function trustMoves(old: Tree, next: Tree, rr: RootRotation | undefined, pkiDir: string): string[] {
  if (!rr) return [];
  const moved = new Set([...new Set([...old.keys(), ...next.keys()])].filter((p) => old.get(p) !== next.get(p)).map(clusterOf).filter((c): c is string => c !== undefined));
  if (moved.size === 0) return [];
  const only = (tree: Tree): Tree => new Map([...tree].filter(([p]) => moved.has(clusterOf(p) ?? '')));
  const rootPem = fileReader(pkiDir)(rr.rootCert);
  if (rootPem === undefined) return [];
  return trustChanges(deliveredTrust(only(old), rr), deliveredTrust(only(next), rr), rr, rootPem);
}
