/** The GitOps engines by spec.gitops.engine. The only file that imports an engine's folder. */
import { argocd } from './argocd';
import { flux } from './flux';
import type { GitOpsEngine } from '../contracts/engine';

export const ENGINES: Readonly<Record<string, GitOpsEngine>> = { flux, argocd };

export function engineOf(name: string): GitOpsEngine {
  const engine = ENGINES[name];
  if (!engine) throw new Error(`unknown GitOps engine ${JSON.stringify(name)}: the loader should have refused it`);
  return engine;
}
