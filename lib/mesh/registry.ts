/** The mesh types by spec.mesh.type. The only file outside lib/mesh/<type>/ that imports one. */
import { cilium } from './cilium';
import { istio } from './istio';
import { linkerd } from './linkerd';
import { none } from './none';
import type { MeshModule } from '../contracts/mesh';

export const MESHES: Readonly<Record<string, MeshModule>> = { istio, linkerd, cilium, none };

export function meshOf(type: string): MeshModule {
  const mesh = MESHES[type];
  if (!mesh) throw new Error(`unknown mesh type ${JSON.stringify(type)}: the loader should have refused it`);
  return mesh;
}
