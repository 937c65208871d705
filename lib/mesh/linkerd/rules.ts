/** Linkerd's rules: a CA chain Linkerd accepts, and sample placement that names two clusters of the fleet. */
import type { AddProblem } from '../../fleet/parse';
import { gatewayServiceRules } from '../../fleet/rules';
import type { Fleet, RawFleet } from '../../fleet/types';
import { linkerdOf, rawLinkerdOf, rawLinkerdSamplesOf } from './defaults';

export function linkerdRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  const linkerd = linkerdOf(fleet);
  // Every cluster runs linkerd-gateway: its peers' Links dial it.
  gatewayServiceRules(fleet, add, () => true);
  const ca = rawLinkerdOf(raw)?.ca;
  if ((ca?.issuerValidityDays !== undefined || ca?.anchorValidityDays !== undefined) && linkerd.ca.issuerValidityDays > linkerd.ca.anchorValidityDays) {
    add(['spec', 'mesh', 'linkerd', 'ca', ca?.issuerValidityDays !== undefined ? 'issuerValidityDays' : 'anchorValidityDays'],
      ca?.issuerValidityDays ?? linkerd.ca.anchorValidityDays,
      `an identity issuer must not outlive the trust anchor (issuerValidityDays ${linkerd.ca.issuerValidityDays} > anchorValidityDays ${linkerd.ca.anchorValidityDays}); proxy certificates are cut at the earliest expiry in the chain`,
      'lower issuerValidityDays or raise anchorValidityDays');
  }

  if (!fleet.samples.enabled) return;
  const names = fleet.clusters.map((c) => c.name);
  const rawSamples = rawLinkerdSamplesOf(raw);
  if (fleet.clusters.length < 2 && rawSamples.exporter === undefined && rawSamples.client === undefined) {
    add(['spec', 'samples', 'enabled'], true, 'Linkerd\'s multicluster samples need two clusters: helloworld v1 exported from one, called through the split from the other',
      'add a second cluster, or set spec.samples.enabled: false');
    return;
  }
  for (const role of ['exporter', 'client'] as const) {
    const value = rawSamples[role];
    if (value !== undefined && !names.includes(value)) {
      add(['spec', 'samples', role], value, 'names no cluster of spec.clusters', `use one of ${names.join(', ')}`);
    }
  }
  const { exporter, client } = linkerd.samples;
  if (exporter !== undefined && exporter === client) {
    add(['spec', 'samples', rawSamples.client !== undefined ? 'client' : 'exporter'], exporter,
      'the client must call the exported helloworld across clusters, so it must run on another cluster than the exporter',
      `name two different clusters, e.g. exporter: ${names[0]}, client: ${names[1] ?? '<another cluster>'}`);
  }
}
