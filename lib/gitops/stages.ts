/**
 * The stages every cluster is applied in. Each stage is one Flux Kustomization
 * (dist/clusters/<cluster>/<stage>.yaml) pointing at dist/manifests/<cluster>/<stage>/.
 * A stage that installs CRDs comes before every stage that uses them, and Flux's dependsOn +
 * wait make the order real. Stage names and folders are public: renaming one is a breaking change.
 */

export type StageName = 'infrastructure' | 'infrastructure-config' | 'mesh-prereqs' | 'mesh' | 'mesh-config' | 'apps';

export interface StageDef {
  readonly name: StageName;
  /** Stages that must be Ready first; empty ones are skipped through to their own dependencies. */
  readonly dependsOn: readonly StageName[];
  /** One line for dist/README.md. */
  readonly summary: string;
}

/** In apply order. */
export const STAGES: readonly StageDef[] = [
  { name: 'infrastructure', dependsOn: [], summary: 'cluster add-ons that own CRDs or node config (MetalLB, metrics-server, Cilium settings)' },
  { name: 'infrastructure-config', dependsOn: ['infrastructure'], summary: 'custom resources of those add-ons (MetalLB address pools)' },
  { name: 'mesh-prereqs', dependsOn: ['infrastructure-config'], summary: 'what must exist before istiod first starts: the istio-system Namespace with its network label, the plug-in CA' },
  { name: 'mesh', dependsOn: ['mesh-prereqs'], summary: 'Istio Helm releases: istio-base → istiod → istio-eastwestgateway' },
  { name: 'mesh-config', dependsOn: ['mesh'], summary: 'Istio custom resources (cross-network Gateway) and remote secrets' },
  { name: 'apps', dependsOn: ['mesh-config'], summary: 'workloads in the mesh (sample apps)' },
];

/**
 * The dependencies of `stage` among the stages that exist: a missing dependency is replaced by
 * its own dependencies, so removing an empty stage never loosens the order.
 */
export function effectiveDependencies(stage: StageName, present: ReadonlySet<StageName>): StageName[] {
  const out = new Set<StageName>();
  const visit = (name: StageName): void => {
    for (const dep of STAGES.find((s) => s.name === name)!.dependsOn) {
      if (present.has(dep)) out.add(dep);
      else visit(dep);
    }
  };
  visit(stage);
  return STAGES.map((s) => s.name).filter((n) => out.has(n));
}
