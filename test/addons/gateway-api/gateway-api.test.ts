/**
 * The Gateway API CRDs (issue 24): a Linkerd 2.20 fleet installs the standard channel (1.5.1) in
 * the infrastructure stage, before the mesh stage whose policy controller needs HTTPRoute and
 * GRPCRoute; never pruned; not on 2.18 (its linkerd-crds still installs them), not where fleet.yaml
 * says something else owns them, and anywhere it asks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET, editFleet, objectAt, renderObjects, ROOT } from '../../helpers';

const LINKERD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas.yaml'), 'utf8');
const LINKERD_ARGOCD = readFileSync(join(ROOT, 'examples', 'linkerd-kpaas-argocd.yaml'), 'utf8');
const crds = (files: Map<string, Record<string, any>[]>, cluster: string): string[] => [...files.keys()]
  .filter((p) => p.startsWith(`manifests/${cluster}/`) && p.includes('.gateway.networking.k8s.io.yaml')).sort();

describe('Gateway API CRDs', () => {
  it('a Linkerd 2.20 fleet gets the standard channel 1.5.1 in infrastructure, applied before the mesh stage, never pruned', () => {
    const files = renderObjects(LINKERD);
    const found = crds(files, 'cluster1');
    expect(found.map((p) => p.split('/').slice(2).join('/'))).toEqual([
      'infrastructure/customresourcedefinition-backendtlspolicies.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-gatewayclasses.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-gateways.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-grpcroutes.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-httproutes.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-listenersets.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-referencegrants.gateway.networking.k8s.io.yaml',
      'infrastructure/customresourcedefinition-tlsroutes.gateway.networking.k8s.io.yaml',
      'infrastructure/validatingadmissionpolicy-safe-upgrades.gateway.networking.k8s.io.yaml',
      'infrastructure/validatingadmissionpolicybinding-safe-upgrades.gateway.networking.k8s.io.yaml',
    ]);
    const httproutes = objectAt(files, 'manifests/cluster1/infrastructure/customresourcedefinition-httproutes.gateway.networking.k8s.io.yaml');
    expect(httproutes.metadata.annotations).toMatchObject({ 'gateway.networking.k8s.io/bundle-version': 'v1.5.1', 'gateway.networking.k8s.io/channel': 'standard', 'kustomize.toolkit.fluxcd.io/prune': 'Disabled' });
    // The mesh stage (linkerd-control-plane) waits for infrastructure.
    const chain = (stage: string): string[] => objectAt(files, `clusters/cluster1/${stage}.yaml`).spec.dependsOn?.map((d: { name: string }) => d.name) ?? [];
    const before = (stage: string): string[] => chain(stage).flatMap((d) => [d, ...before(d.replace(/^meshfleet-/, ''))]);
    expect(before('mesh')).toContain('meshfleet-infrastructure');
    expect(before('infrastructure')).toEqual([]);
    const argo = renderObjects(LINKERD_ARGOCD);
    expect(objectAt(argo, 'manifests/cluster1/infrastructure/customresourcedefinition-httproutes.gateway.networking.k8s.io.yaml').metadata.annotations['argocd.argoproj.io/sync-options']).toBe('ServerSideApply=true,Prune=false,Delete=false');
  });

  it('none on Linkerd 2.18 (its linkerd-crds installs them), none where something else owns them, and anywhere fleet.yaml asks', () => {
    expect(crds(renderObjects(editFleet((d) => d.setIn(['spec', 'mesh', 'linkerd', 'version'], '2.18'), LINKERD)), 'cluster1')).toEqual([]);
    const owned = renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'gatewayAPI'], d.createNode({ install: false })), LINKERD));
    expect(crds(owned, 'cluster1')).toEqual([]);
    expect(crds(owned, 'cluster2')).toHaveLength(10);
    expect(crds(renderObjects(DEFAULT_FLEET), 'kt-k2p')).toEqual([]);
    expect(crds(renderObjects(editFleet((d) => d.setIn(['spec', 'clusters', 0, 'gatewayAPI'], d.createNode({ install: true })))), 'kt-k2p')).toHaveLength(10);
  });
});
