/**
 * The stages every cluster is applied in, whatever the engine: each applies
 * dist/manifests/<cluster>/<stage>/ (Flux: one Kustomization per stage, chained with dependsOn and
 * wait). A stage that installs CRDs comes before every stage that uses them. Stage names and
 * folders are public: renaming one is a breaking change.
 */

export type StageName = 'infrastructure' | 'infrastructure-config' | 'mesh-prereqs' | 'mesh' | 'mesh-config' | 'apps';

export interface StageDef {
  readonly name: StageName;
  /** Stages that must be Ready first; empty ones are skipped through to their own dependencies. */
  readonly dependsOn: readonly StageName[];
  /** One line for dist/README.md; the mesh module may say more precisely what its stages hold. */
  readonly summary: string;
}

/** In apply order. */
export const STAGES: readonly StageDef[] = [
  { name: 'infrastructure', dependsOn: [], summary: 'cluster add-ons that own CRDs or node config (MetalLB, metrics-server, Cilium settings)' },
  { name: 'infrastructure-config', dependsOn: ['infrastructure'], summary: 'custom resources of those add-ons (MetalLB address pools)' },
  { name: 'mesh-prereqs', dependsOn: ['infrastructure-config'], summary: 'what must exist before the mesh\'s control plane first starts: its namespaces and CA' },
  { name: 'mesh', dependsOn: ['mesh-prereqs'], summary: 'the mesh\'s Helm releases (CRDs, control plane, gateways)' },
  { name: 'mesh-config', dependsOn: ['mesh'], summary: 'the mesh\'s custom resources and the credentials that link the clusters' },
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
