/** `pki <action>`: the CA store's status, and the changes an operator makes to it. */
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { ArgumentError, didYouMean, UsageError } from '../errors';
import type { Fleet } from '../fleet/types';
import { displayPath, posixPath } from '../format/paths';
import type { Modules } from '../pipeline';
import { assertPlaced, availableIdentities, misplaced, otherStores, storeKind, storeSession } from '../pipeline/store';
import type { Paths } from '../pipeline/workspace';
import { assertOwnStore, fileReader, missingStoreFiles } from '../pki/files';
import { recordRevocations, reviewPki, reviewReport } from '../pki/revoke';
import { markRevoked } from '../pki/revocations';
import { attentionLines, checkKeys, EXPIRY_WARNING_DAYS, formatStatus, mismatchLines, needsAttention, withKeyChecks } from '../pki/status';
import { commitPkiChanges } from '../pki/transaction';
import { beginRotation, finishRotation, reissueUnderNewRoot, rotationStatus, storeTrustOf } from '../pki/rotation';
import { assertCommitted, assertPhaseCommitted } from '../pipeline/rotation';
import { beginTokenRotation, finishTokenRotation, readTokens, tokenStatus } from '../pki/tokens';
import { COMMON, json, wantsJson, type Command } from './command';

const ACTIONS = ['status', 'issue', 'rotate', 'rekey', 'revoked', 'rotate-root', 'rotate-tokens'];
const PHASES = ['begin', 'next', 'finish', 'status'];
const TOKEN_PHASES = ['begin', 'finish', 'status'];

interface PkiAction {
  readonly action: string;
  /** rotate-root: begin, next, finish or status. */
  readonly phase?: string;
  /** issue, rotate: the cluster; revoked: the holder. */
  readonly cluster?: string;
  /** status --output json. */
  readonly json: boolean;
}

/** The action and its argument from the positional arguments; an ArgumentError for a wrong command line. */
function parseAction(args: readonly string[], asJson: boolean): PkiAction {
  const usage = (what: string): ArgumentError => new ArgumentError(what, 'pki');
  if (args[0] === 'rotate-root') {
    const [, phase, cluster, ...extra] = args;
    if (!PHASES.includes(phase ?? '')) throw usage(`pki rotate-root needs one of begin, next, finish, status (got ${JSON.stringify(phase ?? '')})${phase ? didYouMean(phase, PHASES) : ''}`);
    if ((cluster !== undefined && phase !== 'next') || extra.length > 0) throw usage(`too many arguments${phase !== 'next' ? ` (only \`rotate-root next\` takes a cluster)` : ''}`);
    if (asJson) throw usage('--output json is for pki status');
    return { action: 'rotate-root', phase: phase!, ...(cluster ? { cluster } : {}), json: false };
  }
  if (args[0] === 'rotate-tokens') {
    const [, phase, ...extra] = args;
    if (!TOKEN_PHASES.includes(phase ?? '')) throw usage(`pki rotate-tokens needs one of begin, finish, status (got ${JSON.stringify(phase ?? '')})${phase ? didYouMean(phase, TOKEN_PHASES) : ''}`);
    if (extra.length > 0) throw usage('too many arguments (rotate-tokens rotates every cluster\'s token)');
    if (asJson) throw usage('--output json is for pki status');
    return { action: 'rotate-tokens', phase: phase!, json: false };
  }
  const [action, cluster, ...extra] = args;
  const needsCluster = action === 'issue' || action === 'rotate' || action === 'revoked';
  if (!ACTIONS.includes(action ?? '')) throw usage(`pki needs one of status, issue, rotate, rekey, revoked, rotate-root, rotate-tokens (got ${JSON.stringify(action ?? '')})${action ? didYouMean(action, ACTIONS) : ''}`);
  if (needsCluster && cluster === undefined) throw usage(`pki ${action} needs a ${action === 'revoked' ? 'holder (a cluster name, "operator <n>", or an age recipient)' : 'cluster name'}`);
  if ((!needsCluster && cluster !== undefined) || extra.length > 0) throw usage('too many arguments');
  if (asJson && action !== 'status') throw usage(`--output json is for pki status; pki ${action} prints what it did`);
  return { action: action!, ...(cluster ? { cluster } : {}), json: asJson };
}

export const pkiCommand: Command = {
  name: 'pki',
  flags: ['fleet', 'pki', 'output'],
  help: `Usage: npm run pki -- <status|issue <cluster>|rotate <cluster>|rekey|revoked <holder>|rotate-root <phase>|rotate-tokens <phase>> [--fleet <file>] [--pki <dir>]

status               the CA certificates; exit 1 if one expires within 30 days,
                     is missing, does not chain to the root or does not match
                     its private key
issue <cluster>      a CA for a cluster added to the fleet
rotate <cluster>     a new CA for a cluster
rekey                re-encrypt the store to the recipients fleet.yaml names now
revoked <holder>     a pending revocation (pki/revocations.yaml) is done: a
                     cluster name, "operator <n>" or the former age recipient
rotate-root begin    replace the root of trust: a new root that every cluster
                     trusts beside the old one
rotate-root next [<cluster>]
                     re-issue a cluster's certificate (default: every one
                     left) under the new root; both stay trusted
rotate-root finish   the old root leaves every cluster's trust and pki/
rotate-root status   where a rotation stands and what comes next
                     Each phase starts only when the previous one is committed.
rotate-tokens begin  rotate the link credentials (Istio reader tokens, Linkerd
                     remote-access tokens): a second token Secret beside the
                     first; then \`npm run link\` reads it
rotate-tokens finish the first token Secret leaves the output
rotate-tokens status which tokens the links use
issue, rotate, rekey and rotate-root need SOPS_AGE_KEY_FILE (an operator's age
identity).

  -o, --output json  status only: the certificates as one JSON document

${COMMON}`,
  run(args, options, { out, err }) {
    const command = parseAction(args, wantsJson('pki', options));
    // status only reads: it reports an interrupted change instead of taking the lock to repair it.
    const writing = command.action === 'status' || command.phase === 'status' ? undefined
      : `npm run pki -- ${command.action}${command.phase ? ` ${command.phase}` : ''}${command.cluster ? ` ${command.cluster}` : ''}`;
    return storeSession(options, writing, err, ({ p, fleet, modules }) => pki(command, fleet, modules, p, out));
  },
};

async function pki(command: PkiAction, fleet: Fleet, modules: Modules, p: Paths, out: (s: string) => void): Promise<number> {
  const { pkiDir } = p;
  const ca = modules.mesh.ca;
  if (!ca) throw new UsageError(`mesh type ${modules.mesh.type} keeps no CA store: there is nothing for \`pki ${command.action}\` to do`);
  if (existsSync(pkiDir)) assertOwnStore(storeKind(modules.mesh, fleet), otherStores(modules.mesh, fleet), fileReader(pkiDir), displayPath(pkiDir));
  switch (command.action) {
    case 'status': {
      const identities = availableIdentities();
      const label = displayPath(pkiDir);
      const read = fileReader(pkiDir);
      const checks = await checkKeys(ca.keyPairs(fleet, read), read, identities, label);
      const rows = withKeyChecks(ca.status(fleet, pkiDir), checks);
      const missing = [...missingStoreFiles(ca.files(fleet), read, label), ...misplaced(ca, fleet, pkiDir, read, label)];
      const attention = [...attentionLines(rows, label), ...mismatchLines(checks, label)];
      if (command.json) {
        out(json({ certificates: rows, missing, attention }));
        return attention.length > 0 || missing.length > 0 ? 1 : 0;
      }
      out(formatStatus(rows));
      const trust = ca.rootRotation ? storeTrustOf(ca.rootRotation, read, label) : undefined;
      if (trust?.state) out(`\n${rotationStatus(trust, fleet, ca.rootRotation!)}`);
      if (rows.some((r) => r.keyMatch === 'unknown')) {
        out(`\nkey matches "unknown": the encrypted file was written before meshfleet recorded certificate fingerprints${identities ? ' and the identity in SOPS_AGE_KEY_FILE cannot open it' : '; set SOPS_AGE_KEY_FILE to an operator identity to compare by decrypting'} (\`npm run pki -- rekey\` records them).`);
      }
      const bad = rows.filter((r) => needsAttention(r) || r.keyMatch === 'NO');
      if (missing.length > 0) out(`\n${missing.length} file(s) the CA store needs are missing or misplaced:${missing.map((l) => `\n  - ${l}`).join('')}`);
      if (bad.length > 0) {
        out(`\n${bad.length} certificate(s) need attention (missing, not chaining to the root, expiring within ${EXPIRY_WARNING_DAYS} days, or not matching their key):` +
          attention.map((l) => `\n  - ${l}`).join(''));
        return 1;
      }
      return missing.length > 0 ? 1 : 0;
    }
    case 'rotate-root': {
      const rr = ca.rootRotation;
      if (!rr) throw new UsageError(`mesh type ${modules.mesh.type} has no root of trust meshfleet can rotate`);
      const label = displayPath(pkiDir);
      if (command.phase === 'status') {
        const trust = storeTrustOf(rr, fileReader(pkiDir), label);
        if (!trust) throw new UsageError(`${label} has no ${rr.rootName} yet: \`npm run synth\` makes the CA store`);
        out(rotationStatus(trust, fleet, rr));
        return 0;
      }
      assertPlaced(ca, fleet, pkiDir, fileReader(pkiDir), label);
      const cmd = `npm run pki -- rotate-root ${command.phase}`;
      assertPhaseCommitted(p, fleet, rr, cmd);
      const input = { fleet, pkiDir, label, rotation: rr, meshType: modules.mesh.type };
      out(command.phase === 'begin' ? await beginRotation(input) : command.phase === 'next' ? await reissueUnderNewRoot(input, command.cluster) : await finishRotation(input));
      return 0;
    }
    case 'rotate-tokens': {
      const tokens = modules.mesh.link?.tokens;
      if (!tokens) throw new UsageError(`mesh type ${modules.mesh.type} has no link credentials to rotate`);
      const label = displayPath(pkiDir);
      if (command.phase === 'status') {
        out(tokenStatus(readTokens(fileReader(pkiDir), label), tokens.name));
        return 0;
      }
      assertCommitted(p, `npm run pki -- rotate-tokens ${command.phase}`);
      const input = { pkiDir, label, tokenName: tokens.name, retireSteps: (g: number) => tokens.retireSteps(fleet, g) };
      out(command.phase === 'begin' ? beginTokenRotation(input) : finishTokenRotation(input));
      return 0;
    }
    case 'revoked':
      out(markRevoked(pkiDir, displayPath(pkiDir), command.cluster!, (writes, deletes) => commitPkiChanges(pkiDir, writes, deletes)));
      return 0;
    default: {
      // issue, rotate, rekey: what a key no longer in the fleet could read goes on the revocation
      // checklist, as when synth re-encrypts (these commands replace the files that show it).
      const pkiLabel = displayPath(pkiDir);
      if (existsSync(pkiDir)) assertPlaced(ca, fleet, pkiDir, fileReader(pkiDir), pkiLabel);
      const rules = ca.sopsRules(fleet, posixPath(relative(p.fleetDir, pkiDir)), posixPath(relative(p.fleetDir, p.outDir)));
      const review = existsSync(pkiDir) ? reviewPki({ fleet, engine: modules.engine, ca, pkiDir, pkiLabel, fleetPath: p.fleetPath, rules }) : undefined;
      // A store already encrypted to fleet.yaml's recipients, with every fingerprint recorded, has
      // nothing to re-encrypt: a second rekey (or one whose interrupted run recovery just completed)
      // says so, rather than decrypting with an identity the files may no longer be encrypted to.
      if (command.action === 'rekey' && review && review.stale.length === 0 && review.revocations.length === 0 &&
        (await checkKeys(ca.keyPairs(fleet, fileReader(pkiDir)), fileReader(pkiDir), undefined, pkiLabel)).every((k) => k.match === 'yes')) {
        out(`every encrypted file in ${pkiLabel} is already encrypted to the recipients fleet.yaml names, with its certificate's fingerprint recorded: nothing to re-encrypt.`);
        return 0;
      }
      out(command.action === 'rekey' ? await ca.rekey(fleet, pkiDir) : await ca.issue(fleet, pkiDir, command.cluster!, command.action === 'rotate'));
      if (review && review.revocations.length > 0) {
        const record = recordRevocations(review);
        commitPkiChanges(pkiDir, record.writes, record.deletes);
        out(reviewReport({ ...review, stale: [], removedLines: [] }, pkiLabel).join('\n'));
      }
      return 0;
    }
  }
}
