/** Upstream support windows of the releases a fleet runs (`check` warns past them: the only output that depends on today's date). */

/** One release line and the day upstream support for it ends. */
export interface SupportWindow {
  /** The release line: "1.26" (every 1.26.x). */
  readonly line: string;
  /** The last day of support, YYYY-MM-DD; or YYYY-MM where upstream names only the month (then: that month's end). */
  readonly endOfLife: string;
  /** Where upstream says so. */
  readonly source: string;
}

/** A release a fleet runs, with its project's windows. */
export interface ReleaseInUse {
  /** "Istio", "Linkerd", "Cilium". */
  readonly project: string;
  readonly version: string;
  /** The fleet.yaml field that sets it. */
  readonly field: string;
  readonly windows: readonly SupportWindow[];
  /** The releases upstream supports now, as a phrase ("1.27 to 1.30"). */
  readonly supported: string;
  /** The releases this meshfleet installs. */
  readonly installs: readonly string[];
  /** The Kubernetes minors upstream supports the release in use on, and where that is said. */
  readonly kubernetes?: { readonly min: string; readonly max: string; readonly source: string };
}

/** The first day after support ended, as a UTC date. */
function endOf(window: SupportWindow): Date {
  const [y, m, d] = window.endOfLife.split('-').map(Number) as [number, number, number | undefined];
  return d === undefined ? new Date(Date.UTC(y, m, 1)) : new Date(Date.UTC(y, m - 1, d + 1));
}

/** One line when `release` is past its end of life on `today`; undefined while it is supported (or no window is known). */
export function endOfLifeLine(release: ReleaseInUse, today: Date): string | undefined {
  const window = release.windows.find((w) => release.version === w.line || release.version.startsWith(`${w.line}.`));
  if (!window || today < endOf(window)) return undefined;
  return `${release.project} ${release.version} (${release.field}) is past its end of life (${window.endOfLife}; ${window.source}): ` +
    `no more security fixes. Upstream supports ${release.supported}; this meshfleet installs ${release.installs.join(', ')}, ` +
    'so a supported release may need a newer meshfleet (bump the version your fleet repository pins).';
}
