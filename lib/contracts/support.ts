/** Upstream support windows of the releases a fleet runs (`check` warns past them: the only output that depends on today's date). */
import { compareVersions, minorOf, newestOn } from '../format/semver';

/** One release line: the day upstream support for it ends, and the Kubernetes it supports. */
export interface SupportWindow {
  /** The release line: "1.26" (every 1.26.x). */
  readonly line: string;
  /** The last day of support, YYYY-MM-DD; or YYYY-MM where upstream names only the month (then: that month's end). Undefined: still supported, no date published. */
  readonly endOfLife?: string;
  /** Where upstream says so. */
  readonly source: string;
  /** The Kubernetes minors upstream supports (or tests) this line on, inclusive: { min: "1.29", max: "1.33" }. */
  readonly kubernetes?: { readonly min: string; readonly max: string };
}

/** A project's release lines as data: what `releasesInUse` is made from. */
export interface ReleaseTable {
  readonly project: string;
  /** The fleet.yaml field that picks the release. */
  readonly field: string;
  readonly windows: readonly SupportWindow[];
  /** Where the Kubernetes ranges come from. */
  readonly kubernetesSource: string;
  /** The releases upstream supports now, as a phrase. */
  readonly supported: string;
  /** The releases this meshfleet installs. */
  readonly installs: readonly string[];
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

/** The window of `version` in `windows` ("1.30.3" and "1.30" are both in line 1.30). */
export function windowOf(windows: readonly SupportWindow[], version: string): SupportWindow | undefined {
  return windows.find((w) => version === w.line || version.startsWith(`${w.line}.`));
}

/** `version` of `table` as a release in use. */
export function releaseInUse(table: ReleaseTable, version: string): ReleaseInUse {
  const range = windowOf(table.windows, version)?.kubernetes;
  return {
    project: table.project, version, field: table.field, windows: table.windows, supported: table.supported, installs: table.installs,
    ...(range ? { kubernetes: { ...range, source: table.kubernetesSource } } : {}),
  };
}

/** Whether `a`'s MAJOR.MINOR comes before `b`'s (patches ignored: "1.28.10" is not before "1.28"). */
const beforeMinor = (a: string, b: string): boolean => compareVersions(minorOf(a).join('.'), minorOf(b).join('.')) < 0;

/**
 * Why `release` is outside upstream's Kubernetes range on a cluster running `kubernetes`
 * ("1.28", "1.28.10"); undefined inside it, or when no range is known. A warning, not an error:
 * the charts may install (their kubeVersion decides that), but upstream does not test it.
 */
export function kubernetesRangeLine(release: ReleaseInUse, kubernetes: string): string | undefined {
  const range = release.kubernetes;
  if (!range || (!beforeMinor(kubernetes, range.min) && !beforeMinor(range.max, kubernetes))) return undefined;
  return `${release.project} ${release.version} supports Kubernetes ${range.min} to ${range.max} (${range.source}); ${kubernetes} is outside that range, so upstream does not support this pairing`;
}

/** The first day after support ended, as a UTC date. */
function endOf(window: SupportWindow & { readonly endOfLife: string }): Date {
  const [y, m, d] = window.endOfLife.split('-').map(Number) as [number, number, number | undefined];
  return d === undefined ? new Date(Date.UTC(y, m, 1)) : new Date(Date.UTC(y, m - 1, d + 1));
}

/** One line when `release` is past its end of life on `today`; undefined while it is supported (or no window is known). */
export function endOfLifeLine(release: ReleaseInUse, today: Date): string | undefined {
  const window = windowOf(release.windows, release.version);
  const past = (w: SupportWindow | undefined): boolean => w?.endOfLife !== undefined && today >= endOf({ ...w, endOfLife: w.endOfLife });
  if (!past(window)) return undefined;
  const current = release.installs.filter((v) => !past(windowOf(release.windows, v)));
  const next = current.length > 0
    ? `this meshfleet installs ${current.join(', ')}: move ${release.field} there, one supported step at a time (dist/README.md, "Upgrading")`
    : `this meshfleet installs ${release.installs.join(', ')}, so a supported release needs a newer meshfleet (bump the version your fleet repository pins)`;
  return `${release.project} ${release.version} (${release.field}) is past its end of life (${window!.endOfLife}; ${window!.source}): ` +
    `no more security fixes. Upstream supports ${release.supported}; ${next}.`;
}

/** Why an in-place upgrade is not one supported step (MeshModule.upgradeStep). */
export interface UpgradeStep {
  /** The fleet.yaml field whose change it is. */
  readonly field: string;
  readonly rule: string;
  readonly fix: string;
  /** A caution (synth goes on and says it) rather than a refusal. @default false */
  readonly warning?: boolean;
}

/**
 * The one-minor-at-a-time rule (Istio's in-place upgrades, Cilium's): undefined when `from` → `to`
 * moves at most one minor (either way); else the step refused, naming the newest release of each
 * minor in between among `installs`.
 */
export function oneMinorAtATime(table: ReleaseTable, from: string, to: string, source: string): UpgradeStep | undefined {
  const [major, fb] = minorOf(from);
  const [toMajor, tb] = minorOf(to);
  if (major !== toMajor || Math.abs(tb - fb) <= 1) return undefined;
  const up = tb > fb;
  const minors = Array.from({ length: Math.abs(tb - fb) - 1 }, (_, i) => (up ? fb + 1 + i : fb - 1 - i));
  const between = minors.map((m) => newestOn(table.installs, major, m)).filter((v): v is string => v !== undefined);
  const steps = [...between, to];
  return {
    field: table.field,
    rule: `${table.project} ${up ? 'upgrades' : 'downgrades'} in place one minor at a time (${source}); the committed output runs ${from}, so ${to} skips ${between.length > 0 ? between.join(', ') : 'a minor this meshfleet does not install'}`,
    fix: `set ${table.field} to "${steps[0]}" first; synth, commit, and let every cluster sync${steps.length > 1 ? `, then ${steps.slice(1).map((v) => `"${v}"`).join(', then ')}, one pull request each` : ''} (dist/README.md, "Upgrading")`,
  };
}

/** The newest of `installs` on the minor after `version`'s ("1.29.6" → "1.30.3"); undefined when there is none. */
export function nextMinor(installs: readonly string[], version: string): string | undefined {
  const [major, minor] = minorOf(version);
  return newestOn(installs, major, minor + 1);
}

/**
 * The lines of dist/README's "Upgrading" that every mesh shares: what runs, the next step this
 * meshfleet offers, and that synth refuses a skipped minor.
 */
export function upgradingIntro(table: ReleaseTable, version: string, rule: string): string[] {
  const next = nextMinor(table.installs, version);
  return [
    `This fleet runs ${table.project} ${version}. ${rule} \`npm run synth\` compares \`${table.field}\` with this folder ` +
      '(what the clusters run) and refuses a change that skips a minor, naming the releases in between.',
    '',
    next
      ? `The next step this meshfleet installs: **${next}** (read its upgrade notes first). One pull request per step:`
      : `${version} is the newest ${table.project} this meshfleet installs; a newer one needs a newer meshfleet (bump the version your fleet repository pins). Each step, then:`,
    '',
  ];
}
