/** Each engine names its own resync command (a mesh's README and checklists ask the engine, never name one). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../lib/fleet/types';
import { engineOf } from '../../lib/gitops/registry';
import { ROOT } from '../helpers';

const cluster = { name: 'kt-k2p', context: 'kt k2p' } as Cluster;

describe('GitOpsEngine.readme.resyncCommand', () => {
  it('Flux reconciles the stage Kustomization in the cluster', () => {
    expect(engineOf('flux').readme.resyncCommand(cluster, 'mesh-config')).toBe("flux --context='kt k2p' reconcile kustomization meshfleet-mesh-config");
  });

  it('Argo CD syncs the stage Application the delivery objects name', () => {
    const app = parse(readFileSync(join(ROOT, 'test/golden/istio-argocd/dist/clusters/kt-k2p/mesh-config.yaml'), 'utf8')) as { metadata: { name: string } };
    expect(engineOf('argocd').readme.resyncCommand(cluster, 'mesh-config')).toBe(`argocd app sync ${app.metadata.name}`);
  });
});
