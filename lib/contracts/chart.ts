/** A chart at one version, as a module delivers it (and as imports/charts/ and the Helm tests key it). */
export interface ChartPin {
  readonly chart: string;
  readonly version: string;
  /**
   * Kinds of the CustomResourceDefinitions the chart renders as templates without
   * `helm.sh/resource-policy: keep`, at meshfleet's values: uninstalling the release (Flux's
   * helm-controller) deletes them, and with them every object of those kinds in the cluster, whoever
   * made it; CRDs in crds/ or marked keep stay. Argo CD never deletes CRDs with an Application.
   * test/helm/crds.test.ts checks this list against what Helm renders. @default none
   */
  readonly uninstallDeletes?: readonly string[];
}
