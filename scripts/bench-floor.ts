/**
 * The floor `npm run bench` compares meshfleet with: a bare cdk8s app that builds the same objects
 * from plain JSON and synthesizes them to YAML in memory, started the same way (bundled into
 * build/, run by plain node). Nothing meshfleet does on top (fleet parsing, planning, schema
 * validation, per-file layout) is in it.
 *
 *   node build/bench-floor.js <objects.json>
 */
import { readFileSync } from 'node:fs';
import { ApiObject, App, Chart } from 'cdk8s';

const objects = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { apiVersion: string; kind: string; metadata?: { name?: string } }[];
const app = new App();
const chart = new Chart(app, 'floor');
objects.forEach((o, i) => new ApiObject(chart, `o${i}`, o as ConstructorParameters<typeof ApiObject>[2]));
const yaml = app.synthYaml();
console.log(JSON.stringify({ objects: objects.length, bytes: yaml.length }));
