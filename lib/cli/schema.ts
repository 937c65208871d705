/** `schema [--mesh <type>]`: the JSON Schema of fleet.yaml, for editors (yaml-language-server) and other tools. */
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ArgumentError, didYouMean } from '../errors';
import { fleetSchemaDocument, MESH_TYPES } from '../pipeline/scaffold';
import { noArguments, type Command } from './command';

export const schemaCommand: Command = {
  name: 'schema',
  flags: ['fleet', 'mesh'],
  help: `Usage: meshfleet schema [--mesh <type>] [--fleet <file>]

Prints the JSON Schema meshfleet checks fleet.yaml against, composed for a mesh
type (its spec.mesh.<type> block and per-cluster fields, every add-on's): by
default the type the fleet file names, else the one for any type. Point an
editor at it: a first line \`# yaml-language-server: $schema=./fleet.schema.json\`
in fleet.yaml, after \`meshfleet schema > fleet.schema.json\`.

  --mesh <type>    istio, linkerd, cilium or none
  --fleet <file>   the fleet file whose mesh type to use   (default: fleet.yaml)
  -h, --help       show this help`,
  async run(args, options, { out }) {
    noArguments('schema', args);
    let type = options.mesh;
    if (type !== undefined && !MESH_TYPES().includes(type)) throw new ArgumentError(`--mesh ${JSON.stringify(type)} is not a mesh type: use one of ${MESH_TYPES().join(', ')}${didYouMean(type, MESH_TYPES())}`, 'schema');
    if (type === undefined && existsSync(options.fleet)) {
      try {
        const named = (parse(readFileSync(options.fleet, 'utf8')) as { spec?: { mesh?: { type?: unknown } } } | null)?.spec?.mesh?.type;
        if (typeof named === 'string' && MESH_TYPES().includes(named)) type = named;
      } catch {
        // an unreadable fleet file: the schema for any type, which is what finds its problems
      }
    }
    out(fleetSchemaDocument(type));
    return 0;
  },
};
