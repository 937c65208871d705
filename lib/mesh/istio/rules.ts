/** Istio's rules: one network per cluster, a CA chain that makes sense, a Helm-installable release. */
import type { AddProblem } from '../../fleet/parse';
import { uniqueAcrossClusters } from '../../fleet/rules';
import { compareVersions } from '../../fleet/semver';
import type { Fleet, RawFleet } from '../../fleet/types';
import { istioClusterOf, istioOf, rawIstioOf } from './defaults';

/**
 * The Istio releases whose charts the tests render with real Helm (test/helm, against
 * ../shared/upstream/helm-charts): a version without tested charts could pin a chart that does
 * not exist or renders differently.
 */
export const SUPPORTED_ISTIO_VERSIONS = ['1.26.8'] as const;

export function istioRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  uniqueAcrossClusters(fleet, raw, add, 'network', (c) => istioClusterOf(c).network,
    'give every cluster its own network (multi-primary on different networks), e.g. network1, network2, ...');

  const istio = istioOf(fleet);
  const rawCa = rawIstioOf(raw)?.ca;
  if (rawCa?.intermediateValidityDays !== undefined && istio.ca.intermediateValidityDays > istio.ca.rootValidityDays) {
    add(['spec', 'mesh', 'istio', 'ca', 'intermediateValidityDays'], istio.ca.intermediateValidityDays,
      `must not outlive the root (rootValidityDays ${istio.ca.rootValidityDays}); workload certificates are cut at the earliest expiry in the chain`,
      'lower intermediateValidityDays or raise rootValidityDays');
  }
  if (!(SUPPORTED_ISTIO_VERSIONS as readonly string[]).includes(istio.version)) {
    const older = compareVersions(istio.version, '1.24.0') < 0
      ? ' (and meshfleet installs Istio with Helm charts, which needs 1.24 or later: CRDs are chart templates since 1.24)' : '';
    add(['spec', 'mesh', 'istio', 'version'], istio.version, `is not a release meshfleet has tested charts for${older}; supported: ${SUPPORTED_ISTIO_VERSIONS.join(', ')}`,
      `use one of ${SUPPORTED_ISTIO_VERSIONS.map((v) => `"${v}"`).join(', ')}, or leave the field out for the default`);
  }
}
