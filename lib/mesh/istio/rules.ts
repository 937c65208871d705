/** Istio's rules: one network per cluster, a CA chain that makes sense, a Helm-installable release. */
import type { AddProblem } from '../../fleet/parse';
import { uniqueAcrossClusters } from '../../fleet/rules';
import { compareVersions } from '../../fleet/semver';
import type { Fleet, RawFleet } from '../../fleet/types';
import { istioClusterOf, istioOf, rawIstioOf } from './defaults';

const MIN_ISTIO = '1.24.0';

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
  if (rawIstioOf(raw)?.version !== undefined && compareVersions(istio.version, MIN_ISTIO) < 0) {
    add(['spec', 'mesh', 'istio', 'version'], istio.version, `meshfleet installs Istio with Helm charts, which needs Istio ${MIN_ISTIO} or later (CRDs are chart templates since 1.24)`,
      'use Istio 1.24 or later, e.g. "1.26.8"');
  }
}
