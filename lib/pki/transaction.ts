/**
 * Every change to pki/ goes through here. This is a naive stand-in (files written atomically one by
 * one, then the deletions); the transactional version with a journal replaces it, with the same
 * signatures.
 */
import { existsSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFilesAtomically } from '../output/write';

/** Writes `writes` (store-relative path → content), then removes `deletes` and the folders they leave empty. */
export function commitPkiChanges(pkiDir: string, writes: ReadonlyMap<string, string>, deletes: readonly string[] = []): void {
  writeFilesAtomically(pkiDir, writes);
  for (const path of deletes) {
    const full = join(pkiDir, path);
    if (existsSync(full)) unlinkSync(full);
    for (let dir = dirname(full); dir.startsWith(pkiDir) && dir !== pkiDir; dir = dirname(dir)) {
      if (!existsSync(dir) || readdirSync(dir).length > 0) break;
      rmdirSync(dir);
    }
  }
}

/** Completes or rolls back an interrupted change; returns what it did (the stand-in has nothing to do). */
export function recoverPki(_pkiDir: string): string | undefined {
  return undefined;
}
