/**
 * A mesh type (spec.mesh.type): one folder under lib/mesh/ that owns everything specific to it —
 * its fleet.yaml fragment and defaults, its cross-cluster rules, its CA profile (what pki/ holds),
 * what it adds to each cluster and stage, what `npm run link` does for it, its samples, and its
 * part of dist/README.md. Only lib/mesh/registry.ts imports a mesh's folder.
 */
import type { AddProblem, AddWarning } from '../fleet/parse';
import type { JsonSchema } from '../fleet/schema';
import type { Cluster, Cni, Fleet, RawCluster, RawFleet } from '../fleet/types';
import type { StageName } from './stages';
import type { GitOpsEngine } from './engine';
import type { ClusterPlan } from './plan';
import type { FileReader, StoreFile } from './store';
import type { DeliveredTrust, KeyPair, KeyPairFiles, RotationPhase, StatusRow, StoreTrust } from './store';
import type { SopsRule } from './store';
import type { ChartPin } from './chart';
import type { Footprint } from './preflight';
import type { ReleaseInUse, UpgradeStep } from './support';
import type { UpgradePlan } from './upgrade';
import type { ReleaseRef } from './engine';

/**
 * `Settings` is what `resolve` makes of spec.mesh.<type> (Fleet.mesh.settings), `ClusterSettings`
 * what `resolveCluster` makes of a cluster's fields (Cluster.mesh), `Store` what its CA profile
 * reads from pki/ for a synth (ClusterPlan.pki). The registry holds them as `MeshModule` (unknown).
 */
export interface MeshModule<Settings = unknown, ClusterSettings = unknown, Store = unknown> {
  /** spec.mesh.type */
  readonly type: string;
  /** The schema of spec.mesh.<type>; undefined when the mesh has no settings. */
  readonly schema?: JsonSchema;
  /** Its fields of spec.clusters[], by key (Istio: network, samples). */
  readonly clusterSchema: Readonly<Record<string, JsonSchema>>;
  /**
   * Fields it adds to spec.samples besides `enabled` (Linkerd: split, exporter, client), resolved
   * by its own `resolve`. Other mesh types accept them with a warning, as they do per-cluster fields.
   */
  readonly samplesSchema?: Readonly<Record<string, JsonSchema>>;
  /**
   * The CNI the mesh itself installs, when it is one: every cluster's `cni` defaults to it and the
   * mesh's rules refuse another. Undefined when the mesh runs on whatever CNI the cluster has.
   */
  readonly cni?: Cni;
  /** spec.mesh.<type> with the defaults filled in (Fleet.mesh.settings). */
  resolve(raw: RawFleet): Settings;
  /**
   * A cluster's mesh fields with the defaults filled in (Cluster.mesh). `rank` is the cluster's
   * position among the fleet's names sorted (lib/fleet/defaults.ts sortedNames), never its place
   * in the list: defaults derived from it survive reordering spec.clusters.
   */
  resolveCluster(raw: RawCluster, rank: number, fleet: RawFleet): ClusterSettings;
  /**
   * Whether the mesh's cross-cluster gateway is a Service whose type follows
   * spec.clusters[].gateway.serviceType. Only then is a cluster's `gateway.serviceType` resolved
   * (elsewhere it stays undefined, and the mesh's rules say it is ignored). @default false
   */
  readonly gatewayServiceType?: boolean;
  /**
   * The mesh runs no cross-cluster gateway at all (mesh type none): spec.clusters[].gateway is
   * then ignored, and said so in the same warning as other mesh types' fields. @default false
   */
  readonly noGateway?: boolean;
  /**
   * A short name for the mesh's cross-cluster gateway (Istio: istio-eastwest), which names what
   * add-ons make for it, such as MetalLB's address pool. Undefined where the mesh runs none.
   */
  readonly gatewayName?: string;
  /**
   * The network a cluster is on (Cluster.network), from its resolved mesh fields: where clusters
   * are on different networks they reach each other only through their gateways' announced
   * addresses, and may reuse one private address range (MetalLB pools). @default one network for all
   */
  networkOf?(clusterMesh: ClusterSettings, name: string): string;
  /**
   * How its control plane shows on a live cluster, for `preflight`: an existing one of another
   * origin collides with the one it installs (at the version `releasesInUse` names for the same
   * project), and one on a fleet of another mesh type fails. Undefined where it installs none.
   */
  readonly footprint?: Footprint;
  /**
   * The Gateway API release (standard channel) its control plane needs in the cluster before it
   * starts (Linkerd 2.19+: "1.5.1"), which the gatewayApi add-on installs unless fleet.yaml says
   * something else owns it; undefined: none.
   */
  gatewayApi?(fleet: Fleet): string | undefined;
  /** The releases it runs, with their upstream support windows, for `check`. */
  releasesInUse?(fleet: Fleet): ReleaseInUse[];
  /**
   * Whether moving one of its charts in place from `from` (what the committed output installs) to
   * `to` is a step upstream supports (Istio, Cilium: one minor at a time): undefined when it is;
   * else why not, naming the releases in between, as a refusal or (`warning`) a caution.
   */
  upgradeStep?(chart: string, from: string, to: string, fleet: Fleet): UpgradeStep | undefined;
  /**
   * What a change moves between its control planes on each cluster (Istio: the revision each tag
   * points at, revisions added or removed), from the Helm releases of the old and new output by
   * cluster, one line each, for `npm run diff`.
   */
  controlPlaneMoves?(old: ReadonlyMap<string, readonly ReleaseRef[]>, next: ReadonlyMap<string, readonly ReleaseRef[]>): string[];
  /**
   * Whether removing release `gone` from a cluster while `added` appear there is safe (Istio: the
   * in-place istiod replaced by a revision of the same release would take its proxies' Service
   * with it); undefined when it is.
   */
  replacedStep?(gone: ReleaseRef, added: readonly ReleaseRef[], fleet: Fleet): UpgradeStep | undefined;
  /** The next fleet.yaml edit of an upgrade to `target` (`npm run upgrade -- plan`), from fleet.yaml as written; undefined: none offered. */
  upgradePlan?(raw: RawFleet, target: string): UpgradePlan;
  /**
   * The fleet.yaml field that pins where the sample apps run on a cluster (by its position in
   * spec.clusters), for the warning synth gives when placement follows the clusters that came or
   * went. Undefined where the mesh places no samples.
   */
  samplesPinnedBy?(index: number): string;
  /**
   * The fields a new cluster needs in fleet.yaml beyond the core ones, for `meshfleet init`
   * (Cilium: its ClusterMesh id and pod CIDR); `index` is its place among the new fleet's clusters.
   */
  scaffoldCluster?(index: number): Record<string, unknown>;
  /** Rules JSON Schema cannot express; reads the resolved fleet and, for positions, the raw one. */
  rules(fleet: Fleet, raw: RawFleet, add: AddProblem, warn: AddWarning): void;
  /** What pki/ holds for this mesh; undefined when it needs no CA (synth then makes no pki/). */
  readonly ca?: CaProfile<Store>;
  /** Adds the mesh's objects (control plane, gateways, secrets, samples) to a cluster. */
  plan(plan: ClusterPlan<Store>): void;
  /** Links between clusters that need live data (`npm run link`); undefined when there are none. */
  readonly link?: LinkProfile<Store>;
  readonly readme: MeshReadme<Store>;
  /** What it pins (versions of releases, charts, APIs), for `--version`: label → value. */
  readonly pins?: Readonly<Record<string, string>>;
  /** Every chart at every version it can deliver (`npm run import` records their value keys). */
  readonly charts: readonly ChartPin[];
}

/** The CA store of a mesh: made once, read by every synth, maintained by `npm run pki`. */
export interface CaProfile<Store = unknown> {
  /** A whole new store for the fleet: store-relative path → content (keys only encrypted). */
  create(fleet: Fleet): Promise<Map<string, string>>;
  /** Reads and checks the store for a synth; throws a UsageError naming the command that repairs it. */
  read(read: FileReader, fleet: Fleet, label: string): Store;
  /** `pki issue` (replace false) or `pki rotate` (replace true) for one cluster. */
  issue(fleet: Fleet, pkiDir: string, cluster: string, replace: boolean): Promise<string>;
  /** `pki rekey`: re-encrypts every file to the recipients fleet.yaml names now. */
  rekey(fleet: Fleet, pkiDir: string): Promise<string>;
  /** `pki status`: one row per certificate. */
  status(fleet: Fleet, pkiDir: string, now?: Date): StatusRow[];
  /** .sops.yaml rules for every file it encrypts; pki and dist are relative to the fleet's folder. */
  sopsRules(fleet: Fleet, pkiDir: string, distDir: string): SopsRule[];
  /**
   * Every certificate of the store with the encrypted Secret that holds its private key, so that
   * shared code (lib/pki/status.ts checkKeys) can tell `pki status`, synth and check when a key does
   * not belong to its certificate.
   */
  keyPairs(fleet: Fleet, read?: FileReader): KeyPairFiles[];
  /**
   * Every file the store implies for this fleet (fleet-wide ones without a cluster), so that a
   * deleted one is an error in synth, check and `pki status` (lib/pki/files.ts missingStoreFiles)
   * rather than a surprise at the next `pki issue`. Links are not listed: `npm run link` makes them later.
   */
  files(fleet: Fleet): StoreFile[];
  /**
   * Certificates that sit in another cluster's folder (swapped or copied folders), told from what
   * they contain: one line each, with the repair. Checked before the store is reviewed, so that a
   * swapped folder is never "repaired" by re-encrypting it to the folder's cluster. Istio names the
   * cluster in each intermediate's subject (`L=<cluster>`); Linkerd's issuers all share the subject
   * `identity.linkerd.cluster.local` and Cilium's clusters share one CA, so they have none.
   */
  misplaced?(fleet: Fleet, read: FileReader, label: string): string[];
  /**
   * The clusters a store-relative path belongs to, read from the path alone (Istio:
   * `nhn-nks/cacerts.sops.yaml` → nhn-nks; Linkerd: `links/kt-k2p/link-nhn-nks.yaml` → both);
   * empty for fleet-wide files. A file of a cluster no longer in the fleet is an orphan synth removes.
   */
  clustersOf(path: string): readonly string[];
  /**
   * What a key that left the fleet (or was replaced) could read that git cannot take back: the
   * revocation checklist, one Markdown step per entry, with the exact commands per live peer.
   */
  revocationSteps(input: RevocationInput): string[];
  /** How its root of trust is replaced in phases (`npm run pki -- rotate-root`, lib/pki/rotation.ts); undefined: it cannot be. */
  readonly rootRotation?: RootRotation;
}

/**
 * A mesh's part of replacing the root of trust without downtime: begin (every cluster trusts the old
 * and a new root), next (each cluster's certificate re-issued under the new root), finish (the old
 * root leaves every bundle). lib/pki/rotation.ts runs the phases and their proofs; the mesh says
 * which files hold what, and what its clusters need in each phase.
 */
export interface RootRotation {
  /** The root certificate and its encrypted key in the store; the new root sits beside them as `<name>.next.<ext>` while a rotation is open. */
  readonly rootCert: string;
  readonly rootKey: string;
  /** What the mesh calls its root and a cluster's certificate, for messages ("Istio root", "intermediate"). */
  readonly rootName: string;
  readonly certName: string;
  /** Why the fleet as it runs cannot rotate its root without downtime (a release whose chart ignores the bundle somewhere), with the fix; undefined: it can. */
  refuse?(fleet: Fleet): string | undefined;
  /** A new root made with the fleet's settings: its certificate and its encrypted key file. */
  newRoot(fleet: Fleet): Promise<{ readonly certPem: string; readonly keyFile: string }>;
  /** A root pair of the store, decrypted with the operator's identity (keyPath: store-relative). */
  rootPair(pkiDir: string, keyPath: string): Promise<KeyPair>;
  /**
   * One cluster's files for a phase: trusting `bundle` (PEMs, its signing root first), re-issued
   * under `signer` when given, else keeping the certificate it has. Empty when nothing of the cluster's changes.
   */
  clusterFiles(fleet: Fleet, pkiDir: string, cluster: Cluster, bundle: readonly string[], signer?: KeyPair): Promise<Map<string, string>>;
  /** Whether a cluster holds a trust bundle of its own; undefined: every cluster does (Istio: a remote's proxies take their primary's). */
  holdsTrust?(fleet: Fleet, cluster: Cluster): boolean;
  /** The certificate a cluster signs with, as the store holds it (PEM); undefined when missing. */
  signerOf(read: FileReader, cluster: string, trust: StoreTrust): string | undefined;
  /** What one cluster's output delivers, from its objects and its Helm releases; undefined when it shows none. */
  delivered(objects: readonly Record<string, unknown>[], releases: readonly ReleaseRef[]): DeliveredTrust | undefined;
  /** dist/README: once a phase has synced, what to wait for on the live clusters and the commands that show it. */
  waitSteps(phase: RotationPhase | 'finished', fleet: Fleet): string[];
}

/** A former key, and the store files it could open before the change. */
export interface RevocationInput {
  /** The fleet as it is now (peers and their contexts). */
  readonly fleet: Fleet;
  /** Its holder by fleet name: a cluster, "operator 2", or "unknown". */
  readonly holder: string;
  /** True when the holder is no cluster of the fleet any more (removed or renamed). */
  readonly left: boolean;
  /** Store-relative paths of the SOPS files it could decrypt, before synth re-encrypts or removes them. */
  readonly readable: readonly string[];
  /** The store before the change. */
  readonly read: FileReader;
  /** The store as the user names it ("pki"). */
  readonly pkiLabel: string;
  /** The fleet's GitOps engine, for the commands a step names (resync a stage). */
  readonly engine: GitOpsEngine;
}

/** One direction of a link: `to` can reach `from` once `from`'s credentials are placed in `to`. */
export interface LinkStatus {
  readonly from: string;
  readonly to: string;
  readonly linked: boolean;
}

export interface LinkProfile<Store = unknown> {
  /** Every link of the fleet and whether it is in place, given what the CA store read. */
  status(fleet: Fleet, pki: Store | undefined): LinkStatus[];
  /** Reads the live clusters with kubectl and writes the encrypted link files into pki/. */
  run(fleet: Fleet, pkiDir: string, kubectl: string): Promise<string>;
  /** One sentence saying what to do while links are pending. */
  readonly pendingHint: string;
  /** The link credentials' rotation (`npm run pki -- rotate-tokens`, lib/pki/tokens.ts); undefined: none. */
  readonly tokens?: LinkTokens;
}

/** What a mesh's link credentials are, for rotating them as two commits. */
export interface LinkTokens {
  /** What the mesh calls the token ("reader token"). */
  readonly name: string;
  /** What finish must still do by hand on the live clusters for the generation that leaves (none when the output removes it). */
  retireSteps(fleet: Fleet, generation: number): string[];
}

/** Core rows of a cluster's table in dist/README.md, for the mesh to place among its own. */
export interface CoreRows {
  readonly context: string;
  readonly apiServer: string;
  readonly cni: string;
  readonly addOns: string;
  /** e.g. "Flux path" */
  readonly gitopsPathLabel: string;
  readonly gitopsPath: string;
  readonly stages: string;
}

/** What a mesh adds to dist/README.md's runbook, each step one sentence (Markdown). */
export interface MeshRunbook {
  /** Cluster names in the order to bootstrap them (a primary before its remotes). @default name order */
  readonly order?: readonly string[];
  /** A step before the engine's bootstrap (Cilium: install the CNI with the values file). */
  readonly beforeBootstrap?: string;
  /** A step once every stage is Ready (Istio: `npm run link`, synth, commit). */
  readonly afterReady?: string;
  /** How to verify, naming the section. */
  readonly verify?: string;
}

export interface MeshReadme<Store = unknown> {
  /** Its steps of the runbook; undefined: none beyond the engine's. */
  runbook?(fleet: Fleet): MeshRunbook;
  /** The first sentence's subject, e.g. "Istio 1.26.8 multi-primary on different networks, mesh ID `mesh1`". */
  summary(fleet: Fleet): string;
  /** The "Topology" section's body (diagram and one paragraph). */
  topology(fleet: Fleet): string[];
  /** A cluster's table rows (label, value), core rows placed where the mesh wants them. */
  clusterRows(plan: ClusterPlan<Store>, core: CoreRows, dist: string): [string, string][];
  /**
   * Sections after the cluster tables (e.g. "Remote secrets"), before the engine's bootstrap:
   * also where a step that must precede it goes. `dist` is dist/'s path in the repository, with a trailing "/".
   */
  sections(fleet: Fleet, pki: Store | undefined, dist: string, engine: GitOpsEngine): string[];
  /** What the mesh's stages apply, for the stage table, in the words of the fleet's engine. */
  stageSummaries(engine: GitOpsEngine): Partial<Record<StageName, string>>;
  /** The "Firewall" section's body. */
  firewall(fleet: Fleet): string[];
  /** Lines after the bootstrap commands; `engine` is the GitOps engine's title. */
  afterBootstrap(fleet: Fleet, dist: string, engine: string): string[];
  /** The "Rotating certificates" section's body (how each cluster's certificates are renewed); undefined: no section. */
  rotation?(fleet: Fleet, pki: Store | undefined): string[];
  /** The "Upgrading" section's body: the steps and checks for the release the fleet runs; undefined: no section. */
  upgrading?(fleet: Fleet): string[];
}

