/** A mesh's upgrade plan as fleet.yaml edits (`npm run upgrade -- plan <mesh> <version>`). */

/** One edit of fleet.yaml: set a value at a path, or delete the node there. */
export type FleetOp = { readonly op: 'set'; readonly path: readonly (string | number)[]; readonly value: unknown }
  | { readonly op: 'delete'; readonly path: readonly (string | number)[] };

/** One step: one pull request. */
export interface PlanEdit {
  readonly title: string;
  readonly ops: readonly FleetOp[];
  /** What the step changes on the clusters. */
  readonly effect: string;
  /** The step cannot be taken from here (the effect says what first). */
  readonly blocked?: boolean;
}

export type UpgradePlan = { readonly next?: PlanEdit } | { readonly error: { readonly rule: string; readonly fix: string } };
