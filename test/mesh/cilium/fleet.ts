/** The Cilium example fleet for tests, and variants of it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { editFleet, fixture, ROOT } from '../../helpers';

export const EXAMPLE = readFileSync(join(ROOT, 'examples', 'cilium-clustermesh.yaml'), 'utf8');

/** The example with a third cluster (NodePort 32381, id 3, pods 10.3.0.0/16). */
export const withThird = (text = EXAMPLE, recipient = 'age19hjf42gj2pfedqt23f6xvfl397pzus5wm2tl9x5j7a037k47tvpqemf4dp'): string => editFleet((d) => {
  d.addIn(['spec', 'clusters'], d.createNode({
    name: 'cluster3', apiServer: 'https://172.30.1.90:6443', ageRecipient: recipient, podCIDR: '10.3.0.0/16',
    cilium: { clusterId: 3, apiserverService: 'NodePort', nodeAddresses: ['172.30.1.90'], nodePort: 32381 },
  }));
}, text);

/** The example encrypted to the fixture's identities: cluster1 ↔ kt-k2p, cluster2 ↔ ncloud-nks. */
export function fixtureExample(): string {
  const f = fixture();
  return editFleet((d) => {
    d.setIn(['spec', 'secrets', 'operators'], d.createNode([f.operator.recipient]));
    d.setIn(['spec', 'clusters', 0, 'ageRecipient'], f.clusters['kt-k2p']!.recipient);
    d.setIn(['spec', 'clusters', 1, 'ageRecipient'], f.clusters['ncloud-nks']!.recipient);
  }, EXAMPLE);
}
