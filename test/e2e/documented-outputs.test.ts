import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actionMetadata, describedFields } from '../../lab/action-metadata.ts';
import {
  documentedOutputs,
  documentedShape,
  fieldNames,
  fieldsInCell,
  jsonPaths,
} from '../../lab/documented-outputs.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

// The outputs a real rollout sets, field by field, against what action.yml
// and the README's Outputs section say they are.

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_documentedoutputs';

let server: LabServer;
let github: ReleaseServer;
let run: RunResult;

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(server, 'secret', 'acme', 'acme', 'v1.0.0');
  // With nodes, every result row carries what each node runs.
  run = await runAction({
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    inputs: { ...acmeRolloutInputs(server, GITHUB_TOKEN), mounts: 'acme', nodes: server.address },
  });
  if (run.exitCode !== 0) throw new Error(`the rollout failed:\n${run.log}`);
}, 120_000);

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
}, 60_000);

const metadata = actionMetadata();
const described = (name: string): string[] =>
  describedFields(metadata.outputs.find((o) => o.name === name)?.description ?? '').sort();

describe('the outputs of a real rollout', () => {
  it('are the outputs action.yml and the README name, each one set', () => {
    const set = Object.keys(run.outputs).sort();
    expect(set).toEqual(metadata.outputs.map((o) => o.name).sort());
    expect(set).toEqual(
      documentedOutputs()
        .map((o) => o.name)
        .sort(),
    );
  });

  it.each(['result', 'plan'])(
    '%s has the fields of the README example and of action.yml',
    (name) => {
      const real = jsonPaths(JSON.parse(run.outputs[name] ?? ''));
      expect(real).toContain(name === 'result' ? 'nodes[].running_sha256' : 'mounts[].action');
      expect(real).toEqual(jsonPaths(documentedShape(name)));
      expect(fieldNames(real)).toEqual(described(name));
    },
  );

  it('provenance has the fields the README and action.yml list', () => {
    const real = Object.keys(JSON.parse(run.outputs.provenance ?? '') as object).sort();
    const cell = documentedOutputs().find((o) => o.name === 'provenance')?.cell ?? '';
    expect(real).toEqual(fieldsInCell(cell).sort());
    expect(real).toEqual(described('provenance'));
  });
});
