/**
 * The Istio releases meshfleet installs, as data: each line's end of life and the Kubernetes it
 * supports, from istio.io's support table (data/compatibility/supportStatus.yml in istio/istio.io;
 * "Supported releases": a minor is supported until six weeks after the N+2 minor's release).
 */
import type { ReleaseTable } from '../../contracts/support';

/** The releases whose charts (base, istiod, gateway) the tests render with real Helm; the newest is the default. */
export const SUPPORTED_ISTIO_VERSIONS = ['1.26.8', '1.27.9', '1.28.10', '1.29.6', '1.30.3'] as const;

const SOURCE = 'istio.io\'s support table, data/compatibility/supportStatus.yml in istio/istio.io';

export const ISTIO_RELEASES: ReleaseTable = {
  project: 'Istio',
  field: 'spec.mesh.istio.version',
  supported: '1.30 and 1.31',
  installs: SUPPORTED_ISTIO_VERSIONS,
  kubernetesSource: 'istio.io\'s support table, k8sVersions',
  windows: [
    { line: '1.26', endOfLife: '2025-12-22', source: SOURCE, kubernetes: { min: '1.29', max: '1.33' } },
    { line: '1.27', endOfLife: '2026-04-07', source: SOURCE, kubernetes: { min: '1.29', max: '1.33' } },
    { line: '1.28', endOfLife: '2026-07-01', source: SOURCE, kubernetes: { min: '1.30', max: '1.34' } },
    // The table says "~Aug 2026 (Expected)"; by the policy, six weeks after 1.31.0 (2026-08-31).
    { line: '1.29', endOfLife: '2026-10-12', source: `${SOURCE}: six weeks after Istio 1.31.0`, kubernetes: { min: '1.31', max: '1.35' } },
    // Supported until six weeks after 1.32.0, which had no release date in the data this meshfleet was built from.
    { line: '1.30', source: SOURCE, kubernetes: { min: '1.32', max: '1.36' } },
  ],
};

/**
 * Istio minors whose istiod drops a remote cluster's endpoints when that cluster's remote secret
 * changes, until istiod restarts (istio/istio#61043, 1.30.x): after `npm run link` rewrites remote
 * secrets, the primaries that watch them restart istiod.
 */
export const REMOTE_SECRET_RESTART = { minors: ['1.30'], issue: 'istio/istio#61043' } as const;
