/**
 * Rotating the link credentials (Istio's reader tokens, Linkerd's remote-access tokens) as two
 * reviewed commits, `npm run pki -- rotate-tokens begin | finish | status`:
 *
 *   begin   a second token Secret beside the first on every cluster (generation N+1); synth, commit,
 *           sync; then `npm run link` reads the new token and writes every link with it
 *   finish  (once the links use it) the first token Secret leaves the output, so the engine deletes
 *           it and Kubernetes invalidates its token
 *
 * The state is the plain pki/link-tokens.yaml (no secrets): the generation in use, the one being
 * rolled out, and the one the links were last made with.
 */
import { parse } from 'yaml';
import type { FileReader } from '../contracts/store';
import { UsageError } from '../errors';
import { toYaml } from '../format/yaml';
import { fileReader } from './files';
import { commitPkiChanges } from './transaction';

export const TOKENS_FILE = 'link-tokens.yaml';
const TOKENS_HEADER = '# Written by meshfleet (`npm run pki -- rotate-tokens`, `npm run link`): which token Secret the links use. No secrets here; do not edit.\n';

export interface TokenState {
  /** The generation in use (1: the first, which every fleet starts with). */
  readonly generation: number;
  /** The generation being rolled out (`rotate-tokens begin`), until `finish`. */
  readonly next?: number;
  /** The generation `npm run link` last read. */
  readonly linked?: number;
}

export const FIRST_TOKENS: TokenState = { generation: 1 };

export function readTokens(read: FileReader, label: string): TokenState {
  const text = read(TOKENS_FILE);
  if (text === undefined) return FIRST_TOKENS;
  const broken = `${label}/${TOKENS_FILE} is not what meshfleet writes (generation, next, linked: whole numbers from 1): restore it from git (\`git checkout -- ${label}/${TOKENS_FILE}\`)`;
  let doc: { tokens?: Record<string, unknown> } | null;
  try {
    doc = parse(text) as typeof doc;
  } catch {
    throw new UsageError(broken);
  }
  const t = doc?.tokens;
  const whole = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (!t || !whole(t.generation) || (t.next !== undefined && !whole(t.next)) || (t.linked !== undefined && !whole(t.linked))) throw new UsageError(broken);
  return { generation: t.generation, ...(t.next !== undefined ? { next: t.next as number } : {}), ...(t.linked !== undefined ? { linked: t.linked as number } : {}) };
}

export function tokensText(state: TokenState): string {
  return TOKENS_HEADER + toYaml({ tokens: { generation: state.generation, ...(state.next ? { next: state.next } : {}), ...(state.linked ? { linked: state.linked } : {}) } });
}

/** The generations whose token Secrets the output holds: the one in use, and the one being rolled out. */
export const liveGenerations = (state: TokenState): number[] => [state.generation, ...(state.next ? [state.next] : [])];

/** The generation `npm run link` reads: the newest. */
export const linkGeneration = (state: TokenState): number => state.next ?? state.generation;

/** The state after `npm run link` read `generation`'s tokens (undefined: nothing to record, a fleet that never rotated). */
export function afterLink(state: TokenState): TokenState | undefined {
  if (state.generation === 1 && !state.next && state.linked === undefined) return undefined;
  return { ...state, linked: linkGeneration(state) };
}

export interface TokenRotationInput {
  readonly pkiDir: string;
  readonly label: string;
  /** What the mesh calls the token ("reader token"). */
  readonly tokenName: string;
  /** What finish must still do by hand for the generation that leaves (a chart-owned first token). */
  readonly retireSteps: (generation: number) => string[];
}

export function beginTokenRotation({ pkiDir, label, tokenName }: TokenRotationInput): string {
  const state = readTokens(fileReader(pkiDir), label);
  if (state.next) throw new UsageError(`a rotation of the ${tokenName}s is already open (generation ${state.generation} → ${state.next}): ${nextStep(state)}`);
  const next: TokenState = { ...state, next: state.generation + 1 };
  commitPkiChanges(pkiDir, new Map([[TOKENS_FILE, tokensText(next)]]));
  return `began rotating the ${tokenName}s: every cluster gets a second token Secret (generation ${next.next}) beside the one in use. ` +
    'Run `npm run synth`, commit and let every cluster sync (Kubernetes fills the new Secret with a new token); then `npm run link` (it reads the new tokens), `npm run synth`, commit; then `npm run pki -- rotate-tokens finish`.';
}

export function finishTokenRotation({ pkiDir, label, tokenName, retireSteps }: TokenRotationInput): string {
  const state = readTokens(fileReader(pkiDir), label);
  if (!state.next) throw new UsageError(`no rotation of the ${tokenName}s is open: \`npm run pki -- rotate-tokens begin\` starts one`);
  if (state.linked !== state.next) {
    throw new UsageError(`the links still use the ${tokenName}s of generation ${state.linked ?? state.generation}: removing them now would cut every link. ` +
      `Once the clusters have synced generation ${state.next}'s token Secrets, run \`npm run link\`, \`npm run synth\` and commit, then finish`);
  }
  commitPkiChanges(pkiDir, new Map([[TOKENS_FILE, tokensText({ generation: state.next, linked: state.next })]]));
  const steps = retireSteps(state.generation);
  return `finished: the links use generation ${state.next}; the generation ${state.generation} token Secrets leave the output, and Kubernetes invalidates their tokens when the engine deletes them. ` +
    `Run \`npm run synth\`, review and commit.${steps.length > 0 ? `\nThen, on the live clusters:\n${steps.map((s) => `  - ${s}`).join('\n')}` : ''}`;
}

function nextStep(state: TokenState): string {
  return state.linked === state.next
    ? 'the links use the new tokens: `npm run pki -- rotate-tokens finish` is next'
    : 'once every cluster has synced the new token Secrets, `npm run link`, synth and commit; then `npm run pki -- rotate-tokens finish`';
}

export function tokenStatus(state: TokenState, tokenName: string): string {
  if (!state.next) return `the links use the ${tokenName}s of generation ${state.generation}; no rotation open (\`npm run pki -- rotate-tokens begin\` starts one).`;
  return `rotating the ${tokenName}s: generation ${state.generation} → ${state.next}; the links use generation ${state.linked ?? state.generation}. Next: ${nextStep(state)}.`;
}

/** dist/README.md's part of "Rotating certificates" about the link credentials; `after` are the mesh's steps after `npm run link`. */
export function tokenRotationSection(tokenName: string, state: TokenState | undefined, after: readonly string[]): string[] {
  return [`### Rotating the ${tokenName}s`, '',
    `The ${tokenName}s the links carry rotate in two commits, without a link dropping:`, '',
    `1. \`npm run pki -- rotate-tokens begin\`, synth, commit: every cluster gets a second ${tokenName} Secret beside the first. Once the clusters have synced it, \`npm run link\` (it reads the new tokens), synth, commit.`,
    ...after.map((s) => `   - ${s}`),
    `2. \`npm run pki -- rotate-tokens finish\`, synth, commit: the first ${tokenName} Secrets leave the output; the engine deletes them and Kubernetes invalidates their tokens (finish prints what to check, or to do by hand).`,
    ...(state?.next ? ['', `**In progress:** generation ${state.generation} → ${state.next}; the links use generation ${state.linked ?? state.generation}.`] : [])];
}
