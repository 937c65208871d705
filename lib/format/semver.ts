/** Ordering of MAJOR.MINOR.PATCH versions (pre-release suffixes ignored), for version-gated rules. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).slice(0, 3).map(Number);
  const pb = b.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** MAJOR and MINOR of a version ("1.30.3" → [1, 30]). */
export function minorOf(version: string): [number, number] {
  const [major, minor] = version.split(/[.-]/).map(Number);
  return [major ?? 0, minor ?? 0];
}

/** The newest of `versions` on MAJOR.MINOR `major`.`minor`; undefined when none is. */
export function newestOn(versions: readonly string[], major: number, minor: number): string | undefined {
  return versions.filter((v) => { const [a, b] = minorOf(v); return a === major && b === minor; }).sort(compareVersions).at(-1);
}
