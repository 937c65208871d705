/**
 * The Cilium releases meshfleet installs, as data. Cilium supports its three newest minors (a
 * minor's support ends with the release of the third after it); the Kubernetes ranges are the
 * versions each minor's CI tests ("Kubernetes Compatibility", Documentation/network/kubernetes/
 * compatibility.rst in cilium/cilium).
 */
import type { ReleaseTable } from '../../contracts/support';

/** The releases whose cilium chart the tests render with real Helm; the newest is the default. */
export const SUPPORTED_CILIUM_VERSIONS = ['1.16.5', '1.17.18', '1.18.12', '1.19.6'] as const;

/** The first release whose chart has clustermesh.policyDefaultLocalCluster (default true from 1.19). */
export const POLICY_DEFAULT_LOCAL_CLUSTER_SINCE = '1.18.0';
/** The first release whose chart has clustermesh.apiserver.tls.authMode (default migration). */
export const AUTH_MODE_SINCE = '1.19.0';

const CADENCE = 'Cilium supports its three newest minor releases (docs.cilium.io, "Release cadence"; release dates from endoflife.date)';

export const CILIUM_RELEASES: ReleaseTable = {
  project: 'Cilium',
  field: 'spec.mesh.cilium.version',
  supported: '1.18, 1.19 and 1.20',
  installs: SUPPORTED_CILIUM_VERSIONS,
  kubernetesSource: 'docs.cilium.io, "Kubernetes Compatibility"',
  windows: [
    { line: '1.16', endOfLife: '2026-02-02', source: `${CADENCE}: 1.16 ended with 1.19.0 (2026-02-03)`, kubernetes: { min: '1.27', max: '1.30' } },
    { line: '1.17', endOfLife: '2026-07-28', source: `${CADENCE}: 1.17 ended with 1.20.0 (2026-07-29)`, kubernetes: { min: '1.28', max: '1.31' } },
    { line: '1.18', source: CADENCE, kubernetes: { min: '1.30', max: '1.33' } },
    { line: '1.19', source: CADENCE, kubernetes: { min: '1.32', max: '1.35' } },
  ],
};
