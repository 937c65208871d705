/**
 * Rules of the core fields that JSON Schema cannot express: uniqueness across clusters and value
 * formats with logic. Mesh modules and add-ons check their own fields in their rules.ts.
 */
import type { Cluster, Fleet, RawFleet } from './types';
import { isAddress, type AddProblem } from './parse';

/**
 * Reports every cluster after the first whose `valueOf` repeats an earlier one. `field` is the
 * fleet.yaml key; when the cluster leaves it out, `defaultNote` says where the value came from.
 */
export function uniqueAcrossClusters(
  fleet: Fleet,
  raw: RawFleet,
  add: AddProblem,
  field: string,
  valueOf: (c: Cluster) => string,
  fix: string,
  defaultNote = `the ${field} defaults to the cluster name`,
): void {
  const first = new Map<string, number>();
  fleet.clusters.forEach((c, i) => {
    const value = valueOf(c);
    const earlier = first.get(value);
    if (earlier === undefined) {
      first.set(value, i);
      return;
    }
    const explicit = raw.spec.clusters[i]?.[field] !== undefined;
    add(['spec', 'clusters', i, ...(explicit ? [field] : [])], value,
      `${field} must be unique across clusters; spec.clusters[${earlier}] has ${field} ${JSON.stringify(value)} already` +
      (explicit ? '' : ` (${defaultNote})`), fix);
  });
}

export function coreRules(fleet: Fleet, raw: RawFleet, add: AddProblem): void {
  uniqueAcrossClusters(fleet, raw, add, 'name', (c) => c.name, 'give every cluster its own name');
  uniqueAcrossClusters(fleet, raw, add, 'context', (c) => c.context, 'point every cluster at its own kubeconfig context');
  fleet.clusters.forEach((c, i) => {
    const apiProblem = apiServerProblem(c.apiServer);
    if (apiProblem) add(['spec', 'clusters', i, 'apiServer'], c.apiServer, apiProblem, 'use the https:// URL the other clusters reach this API server at, e.g. "https://203.0.113.1:6443"');
    const address = c.gateway.address;
    if (address !== undefined && !isAddress(address)) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address, 'must be an IPv4 or IPv6 address or a DNS name',
        'use the address the other clusters reach this cluster\'s mesh gateway at, e.g. "203.0.113.10"');
    }
  });
}

function apiServerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (url.pathname !== '/' || url.search || url.hash || url.username) return 'must be scheme, host and port only (no path, query or credentials)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isAddress(host)) return 'host must be an IP address or a DNS name';
  if (host === 'localhost' || host.startsWith('127.') || host === '::1') {
    return 'must be reachable from the other clusters; a loopback address only works on this machine';
  }
  return undefined;
}
