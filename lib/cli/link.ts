/** `link`: reads what only the live clusters know and writes the encrypted links into the CA store. */
import { storeSession } from '../pipeline/store';
import { COMMON, noArguments, type Command } from './command';

export const linkCommand: Command = {
  name: 'link',
  flags: ['fleet', 'pki'],
  help: `Usage: npm run link -- [--fleet <file>] [--pki <dir>]

Reads what only the live clusters know (service-account tokens, API server CAs)
through each cluster's kubeconfig context (kubectl, or KUBECTL) and writes the
encrypted links into the CA store; synth then places them. Nothing is written
unless every cluster could be read.

${COMMON}`,
  run(args, options, { out, err }) {
    noArguments('link', args);
    return storeSession(options, 'npm run link', err, async ({ p, fleet, modules }) => {
      if (!modules.mesh.link) {
        out(`mesh type ${modules.mesh.type} has nothing to link.`);
        return 0;
      }
      out(await modules.mesh.link.run(fleet, p.pkiDir, process.env.KUBECTL ?? 'kubectl'));
      return 0;
    });
  },
};
