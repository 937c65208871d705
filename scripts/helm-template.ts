/**
 * Prints what Helm renders for a cluster's HelmReleases, before you merge.
 *
 * Usage: npm run helm-template -- <cluster> [release] [--fleet fleet.yaml] [--charts <dir>]
 *
 * With --charts (a folder of unpacked `<chart>-<version>/` charts) it renders offline; otherwise
 * Helm fetches the pinned chart version from the release's HelmRepository. See lib/cli/helm-template.ts.
 */
import { helmTemplateCommand } from '../lib/cli/helm-template';

// `npm run helm-template -- ... | head` closes the pipe early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
process.exitCode = await helmTemplateCommand(process.argv.slice(2));
