/** A Kubernetes object as emitted: the envelope is typed, the rest is whatever its kind holds. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  [key: string]: unknown;
}

/** Fields of some objects (by group, kind and, optionally, name) that the cluster owns after an install. */
export interface RuntimeField {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
  /** JSON pointers (`/data`) or jq path expressions (`.webhooks[]?.clientConfig.caBundle`). */
  readonly jsonPointers?: readonly string[];
  readonly jqPathExpressions?: readonly string[];
}

/** The webhook fields a controller patches after install: its caBundle (and, for Istio's validator, failurePolicy). */
export const WEBHOOK_CA_BUNDLE = {
  validating: { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
  mutating: { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
  crdConversion: { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition', jsonPointers: ['/spec/conversion/webhook/clientConfig/caBundle'] },
} as const satisfies Record<string, RuntimeField>;
