/**
 * Flux objects: the stage Kustomizations under dist/clusters/<cluster>/, and the HelmRepository /
 * HelmRelease pairs the feature constructs install charts with.
 */
import { Construct } from 'constructs';
import {
  HelmRelease,
  HelmReleaseSpecChartSpecSourceRefKind,
} from '../../imports/flux-helmrelease-helm.toolkit.fluxcd.io';
import { HelmRepository, HelmRepositorySpecType } from '../../imports/flux-helmrepository-source.toolkit.fluxcd.io';
import {
  Kustomization,
  KustomizationSpecDecryptionProvider,
  KustomizationSpecSourceRefKind,
} from '../../imports/flux-kustomization-kustomize.toolkit.fluxcd.io';

/** The namespace and GitRepository `flux bootstrap` creates; meshfleet only refers to them. */
export const FLUX_NAMESPACE = 'flux-system';
export const FLUX_SOURCE = 'flux-system';
/** The Secret holding the cluster's age identity (README: bootstrap). */
export const SOPS_AGE_SECRET = 'sops-age';

export interface StageKustomizationProps {
  readonly stage: string;
  /** Repository-relative path of the stage folder, starting with ./ */
  readonly path: string;
  readonly dependsOn: readonly string[];
  readonly interval: string;
  /** Upper bound for apply + health checks; Helm installs need more than plain manifests. */
  readonly timeout: string;
  /** Whether the stage holds SOPS-encrypted objects. */
  readonly decrypt: boolean;
}

export class StageKustomization extends Construct {
  constructor(scope: Construct, id: string, props: StageKustomizationProps) {
    super(scope, id);
    new Kustomization(this, 'Resource', {
      metadata: { name: props.stage, namespace: FLUX_NAMESPACE },
      spec: {
        interval: props.interval,
        retryInterval: '1m',
        timeout: props.timeout,
        sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: FLUX_SOURCE },
        path: props.path,
        prune: true,
        wait: true,
        ...(props.dependsOn.length > 0 ? { dependsOn: props.dependsOn.map((name) => ({ name })) } : {}),
        ...(props.decrypt
          ? { decryption: { provider: KustomizationSpecDecryptionProvider.SOPS, secretRef: { name: SOPS_AGE_SECRET } } }
          : {}),
      },
    });
  }
}

export interface HelmChartProps {
  /** HelmRelease name (also the Helm release name). */
  readonly name: string;
  readonly namespace: string;
  /** HelmRepository name; it lives in the release's namespace so no cross-namespace reference is needed. */
  readonly repository: string;
  readonly chart: string;
  readonly version: string;
  readonly values?: Record<string, unknown>;
  /** Other HelmReleases in the same namespace that must be Ready first. */
  readonly dependsOn?: readonly string[];
}

export class HelmRepo extends Construct {
  constructor(scope: Construct, id: string, props: { name: string; namespace: string; url: string }) {
    super(scope, id);
    const oci = props.url.startsWith('oci://');
    new HelmRepository(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace },
      spec: { interval: '1h', url: props.url, ...(oci ? { type: HelmRepositorySpecType.OCI } : {}) },
    });
  }
}

export class HelmChart extends Construct {
  constructor(scope: Construct, id: string, props: HelmChartProps) {
    super(scope, id);
    new HelmRelease(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace },
      spec: {
        interval: '30m',
        releaseName: props.name,
        chart: {
          spec: {
            chart: props.chart,
            version: props.version,
            sourceRef: { kind: HelmReleaseSpecChartSpecSourceRefKind.HELM_REPOSITORY, name: props.repository, namespace: props.namespace },
          },
        },
        install: { remediation: { retries: 3 } },
        upgrade: { remediation: { retries: 3 } },
        ...(props.dependsOn && props.dependsOn.length > 0 ? { dependsOn: props.dependsOn.map((name) => ({ name })) } : {}),
        ...(props.values && Object.keys(props.values).length > 0 ? { values: props.values } : {}),
      },
    });
  }
}
