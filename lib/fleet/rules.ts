/**
 * Rules of the core fields that JSON Schema cannot express: uniqueness across clusters and value
 * formats with logic. Mesh modules and add-ons check their own fields in their rules.ts.
 */
import { isIP } from 'node:net';
import { unreachableAddress } from '../net/ip';
import type { Cluster, Fleet, RawFleet } from './types';
import { isAddress, type AddProblem, type AddWarning } from './parse';
import { recipientProblem } from '../format/recipients';

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

/**
 * The gateway Service type of the clusters `runsGateway` picks: a NodePort Service has no
 * LoadBalancer status to learn the address from, so the address peers dial must be pinned.
 */
export function gatewayServiceRules(fleet: Fleet, add: AddProblem, runsGateway: (c: Cluster) => boolean): void {
  fleet.clusters.forEach((c, i) => {
    if (c.gateway.serviceType !== 'NodePort' || c.gateway.address !== undefined || !runsGateway(c)) return;
    add(['spec', 'clusters', i, 'gateway', 'serviceType'], 'NodePort',
      'a NodePort gateway Service has no LoadBalancer address the other clusters could learn: gateway.address is required with it',
      'set gateway.address to the address the NAT or load balancer in front forwards to the nodes, e.g. "203.0.113.10"');
  });
}

/** Where the active mesh runs no gateway of this kind: a gateway.serviceType there does nothing. */
export function ignoredServiceTypes(raw: RawFleet, warn: AddWarning, why: string): void {
  raw.spec.clusters.forEach((c, i) => {
    if (c.gateway?.serviceType !== undefined) warn(['spec', 'clusters', i, 'gateway', 'serviceType'], `is ignored: ${why}`);
  });
}

/**
 * Every gateway announces its own address: two clusters announcing one would have the others send
 * each one's cross-cluster traffic to whichever answers there.
 */
function uniqueGatewayAddresses(fleet: Fleet, add: AddProblem): void {
  const first = new Map<string, number>();
  fleet.clusters.forEach((c, i) => {
    const address = c.gateway.address;
    if (address === undefined) return;
    const key = isIP(address) === 6 ? ipv6Key(address) : address.toLowerCase();
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, i);
      return;
    }
    const owner = fleet.clusters[earlier]!.name;
    add(['spec', 'clusters', i, 'gateway', 'address'], address,
      `is already ${owner}'s gateway address (spec.clusters[${earlier}].gateway.address): the other clusters would send ${c.name}'s cross-cluster traffic to whichever of the two answers there`,
      'give every cluster\'s gateway its own address: the one its load balancer or the NAT in front forwards to that gateway');
  });
}

/** An IPv6 address in one spelling (`2001:db8::1` and `2001:0db8:0:0::1` are one address). */
function ipv6Key(address: string): string {
  return new URL(`http://[${address}]/`).hostname;
}

export function coreRules(fleet: Fleet, raw: RawFleet, add: AddProblem, gateways = true): void {
  if (gateways) uniqueGatewayAddresses(fleet, add);
  uniqueAcrossClusters(fleet, raw, add, 'name', (c) => c.name, 'give every cluster its own name');
  uniqueAcrossClusters(fleet, raw, add, 'context', (c) => c.context, 'point every cluster at its own kubeconfig context');
  const keyFix = 'copy the public key again from `age-keygen -y <identity file>` (it starts with age1)';
  fleet.secrets.operators.forEach((r, i) => {
    const problem = recipientProblem(r);
    if (problem) add(['spec', 'secrets', 'operators', i], r, problem, keyFix);
  });
  keyIsolation(fleet, add);
  fleet.clusters.forEach((c, i) => {
    const keyProblem = recipientProblem(c.ageRecipient);
    if (keyProblem) add(['spec', 'clusters', i, 'ageRecipient'], c.ageRecipient, keyProblem, keyFix);
    const apiProblem = apiServerProblem(c.apiServer);
    if (apiProblem) add(['spec', 'clusters', i, 'apiServer'], redactURL(c.apiServer), apiProblem, 'use the https:// URL the other clusters reach this API server at, e.g. "https://203.0.113.1:6443"');
    const address = c.gateway.address;
    const gatewayFix = 'use the address the other clusters reach this cluster\'s mesh gateway at, e.g. "203.0.113.10"';
    const serviceAddress = raw.spec.clusters[i]?.gateway?.serviceAddress;
    if (gateways && serviceAddress !== undefined) {
      const at = ['spec', 'clusters', i, 'gateway', 'serviceAddress'];
      const fix = 'use the address from metallb.addresses that the floating IP or NAT in front forwards gateway.address to, e.g. "10.0.0.240"';
      if (isIP(serviceAddress) === 0) add(at, serviceAddress, 'must be an IPv4 or IPv6 address: the gateway Service asks MetalLB for it', fix);
      else if (unreachableAddress(serviceAddress)) add(at, serviceAddress, `must be an address the nodes announce; ${unreachableAddress(serviceAddress)} is not`, fix);
      if (address === undefined) {
        add(at, serviceAddress, 'is only needed where the other clusters dial a different address (gateway.address) that is forwarded to it',
          'set gateway.address to the floating IP or NAT address the other clusters dial, or pin this address as gateway.address instead');
      }
      if (c.gateway.serviceType === 'NodePort') {
        add(at, serviceAddress, 'is what a LoadBalancer Service asks for; a NodePort gateway Service asks for no address',
          'remove gateway.serviceAddress (the NAT in front forwards gateway.address to the NodePorts), or use a LoadBalancer Service with metallb');
      }
    }
    if (address !== undefined && !isAddress(address)) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address, 'must be an IPv4 or IPv6 address or a DNS name', gatewayFix);
    } else if (address !== undefined && (unreachableAddress(address) || address.toLowerCase() === 'localhost')) {
      add(['spec', 'clusters', i, 'gateway', 'address'], address,
        `must be reachable from the other clusters; ${unreachableAddress(address) ?? 'localhost'} only works on this machine`, gatewayFix);
    }
  });
  const interval = durationSeconds(fleet.gitops.interval);
  if (interval < MIN_INTERVAL_S || interval > MAX_INTERVAL_S) {
    add(['spec', 'gitops', 'interval'], fleet.gitops.interval, `must be between ${MIN_INTERVAL_S}s and ${MAX_INTERVAL_S / 3600}h: the engine reconciles every stage at this interval`,
      'use e.g. "10m" (the default) or "1h"');
  }
  const credential = repoURLCredential(fleet.gitops.repoURL);
  if (credential) {
    add(['spec', 'gitops', 'repoURL'], redactURL(fleet.gitops.repoURL), credential,
      'put only the address in fleet.yaml (it is written into dist/README.md and every Application or GitRepository) and give the engine its credentials apart: ' +
      '`flux bootstrap git --username <user> --password <token>` (or an SSH deploy key: `flux bootstrap git --private-key-file`), ' +
      'or `argocd repo add <url> --username <user> --password <token>`; then rotate the token, which is in your shell history and this fleet.yaml\'s git history if committed');
  }
  const branch = branchProblem(fleet.gitops.branch);
  if (branch) add(['spec', 'gitops', 'branch'], fleet.gitops.branch, `is not a valid git branch name: ${branch}`, 'use a branch name git accepts (`git check-ref-format --branch <name>`), e.g. "main"');
}

/**
 * One age key per cluster, none an operator's (issue 21 item 2): a cluster's key is the identity in
 * its own sops-age Secret, so it is only as private as the least protected cluster holding it. An
 * operator key there opens every file encrypted to the operators (the CA store's root key among
 * them); a key two clusters share lets each open the other's CA key and links.
 */
function keyIsolation(fleet: Fleet, add: AddProblem): void {
  const fix = 'give every cluster its own age key, generated for it alone (in the cluster, or with `age-keygen -o <cluster>.agekey`), ' +
    'and keep operator keys off clusters; put the new public key (`age-keygen -y <cluster>.agekey`) here';
  const first = new Map<string, number>();
  fleet.clusters.forEach((c, i) => {
    const op = fleet.secrets.operators.indexOf(c.ageRecipient);
    if (op >= 0) {
      add(['spec', 'clusters', i, 'ageRecipient'], c.ageRecipient,
        `is operator ${op + 1}'s key (spec.secrets.operators[${op}]): cluster ${c.name}'s in-cluster identity (its sops-age Secret) would open everything ` +
        'encrypted to the operators, the CA root key (or trust anchor key) in pki/ among them', fix);
      return;
    }
    const earlier = first.get(c.ageRecipient);
    if (earlier === undefined) {
      first.set(c.ageRecipient, i);
      return;
    }
    const other = fleet.clusters[earlier]!.name;
    add(['spec', 'clusters', i, 'ageRecipient'], c.ageRecipient,
      `must be unique across clusters; spec.clusters[${earlier}] (${other}) has this key already: each of ${other} and ${c.name} would open the other's CA key ` +
      'and the links and tokens given to it', fix);
  });
}

const MIN_INTERVAL_S = 30;
const MAX_INTERVAL_S = 24 * 3600;

/** A Go duration ("1h30m", "90s", "1.5h") in seconds. */
export function durationSeconds(text: string): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

/** Why `git check-ref-format --branch` would refuse the name, if it would. */
export function branchProblem(name: string): string | undefined {
  if (name.length > 255) return 'longer than 255 characters';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.includes('//')) return 'contains "//"';
  if (name.endsWith('/') || name.endsWith('.')) return 'ends with "/" or "."';
  if (name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'))) return 'a component starts with "." or ends with ".lock"';
  return undefined;
}

/**
 * Why a repository URL carries a credential, if it does: any user-info in an http(s) URL (a token is
 * often given as the user name alone), a password in an ssh URL (`ssh://git@host` names the login user
 * of a deploy key and stays allowed).
 */
export function repoURLCredential(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined; // the schema's pattern reports the form
  }
  if (url.password) return 'carries a password or token in the URL (user:password@); the URL is written in the clear into dist/ and the README';
  if (url.username && url.protocol !== 'ssh:') {
    return 'carries a user name or token in the URL (user@); over https that is how a token is passed, and the URL is written in the clear into dist/ and the README';
  }
  return undefined;
}

/** The URL with its user-info replaced by "***", for messages: a credential is never printed. */
export function redactURL(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, '$1***@');
}

function apiServerProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return 'must be scheme, host and port only (no path, query or credentials)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!isAddress(host)) return 'host must be an IP address or a DNS name';
  const unreachable = host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost') ? 'a loopback name' : unreachableAddress(host);
  if (unreachable) return `must be reachable from the other clusters; ${unreachable} only works on this machine`;
  return undefined;
}
