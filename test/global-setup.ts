/**
 * Runs once per test run: age identities made here (never stored in the repository), a copy of the
 * default fleet encrypted to them, and a CA store for it. Tests copy the store instead of paying
 * for RSA-4096 key generation on every synth. It also extracts the pinned helm and kubectl.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import type { TestProject } from 'vitest/node';
import { loadFleet } from '../lib/pipeline';
import { writeFilesAtomically } from '../lib/output/write';
import { createPki } from '../lib/pipeline';
import { extractTools } from '../lib/tools/binaries';
import { ensureBuilt } from '../scripts/build.mjs';
import { DEFAULT_FLEET_TEXT, type Fixture } from './fixture';

export default async function setup(project: TestProject): Promise<void> {
  // The pinned helm and kubectl, extracted once here so test files never race to do it.
  extractTools();
  // The CLI bundle the tests run (runCli), built once here rather than by the first test that runs it.
  await ensureBuilt('main.ts');
  const dir = mkdtempSync(join(tmpdir(), 'meshfleet-fixture-'));
  const ids = async (): Promise<{ identity: string; recipient: string }> => {
    const identity = await generateX25519Identity();
    return { identity, recipient: await identityToRecipient(identity) };
  };
  const operator = await ids();
  const clusters: Record<string, { identity: string; recipient: string }> = {};
  let fleetText = DEFAULT_FLEET_TEXT;
  const defaults = loadFleet(DEFAULT_FLEET_TEXT);
  fleetText = fleetText.replace(defaults.secrets.operators[0]!, operator.recipient);
  for (const c of defaults.clusters) {
    clusters[c.name] = await ids();
    fleetText = fleetText.replace(c.ageRecipient, clusters[c.name]!.recipient);
  }
  const extra = await ids();
  const fleet = loadFleet(fleetText);
  writeFilesAtomically(join(dir, 'pki'), await createPki(fleet));
  writeFileSync(join(dir, 'fleet.yaml'), fleetText);
  writeFileSync(join(dir, 'operator.agekey'), `${operator.identity}\n`);
  const fixture: Fixture = { dir, fleetText, operator, clusters, extra };
  project.provide('fixture', fixture);
}
