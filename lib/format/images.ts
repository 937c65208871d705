/** Image references pulled through a registry mirror (spec.registries.images). */

/**
 * `image` as pulled through `prefix`: the upstream registry host is replaced and the path kept
 * (`quay.io/cilium/cilium:v1` → `<prefix>/cilium/cilium:v1`, `busybox` → `<prefix>/library/busybox`),
 * which is how a pull-through cache (Harbor's proxy projects) or `crane copy` lays images out.
 * Tags and digests are kept: a mirror serves the same bytes. Without a prefix, `image` itself.
 */
export function mirrorImage(image: string, prefix: string | undefined): string {
  if (!prefix) return image;
  const [first, ...rest] = image.split('/');
  const hasRegistry = rest.length > 0 && (first!.includes('.') || first!.includes(':') || first === 'localhost');
  const path = hasRegistry ? rest.join('/') : rest.length === 0 ? `library/${first}` : image;
  return `${prefix}/${path}`;
}

type Json = Record<string, unknown>;
const podSpecsOf = (obj: Json): Json[] => {
  const spec = obj.spec as Json | undefined;
  if (!spec) return [];
  const template = (s: Json | undefined): Json | undefined => (s?.template as Json | undefined)?.spec as Json | undefined;
  const found = [template(spec), template((spec.jobTemplate as Json | undefined)?.spec as Json | undefined), obj.kind === 'Pod' ? spec : undefined];
  return found.filter((s): s is Json => s !== undefined);
};

/** Points every container image of a workload object (Deployment, DaemonSet, StatefulSet, Job, CronJob, Pod) at `prefix`, in place. */
export function mirrorPodImages(obj: Json, prefix: string | undefined): void {
  if (!prefix) return;
  for (const pod of podSpecsOf(obj)) {
    for (const list of [pod.containers, pod.initContainers]) {
      for (const c of (list as Json[] | undefined) ?? []) if (typeof c.image === 'string') c.image = mirrorImage(c.image, prefix);
    }
  }
}
