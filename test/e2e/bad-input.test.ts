import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { pluginRelease, acmeRolloutInputs } from '../../lab/releases.ts';
import { runAction } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { BAD_INPUTS } from './bad-input-cases.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_badinputlab';
/** Runs in flight at once: each is a short-lived node process that stops at its first check. */
const PARALLEL = 4;

let server: LabServer;
let github: ReleaseServer;

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
  await enableMount(server, 'secret', 'm1', 'acme', 'v1.0.0');
}, 120_000);

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
}, 60_000);

describe('malformed inputs', () => {
  it(`stop each of ${String(BAD_INPUTS.length)} runs with its one-line error and write nothing`, async () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(40);
    const mark = await server.auditMark();
    const seen: { inputs: Record<string, string>; exitCode: number; errors: string[] }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let i = next++; i < BAD_INPUTS.length; i = next++) {
          const bad = BAD_INPUTS[i];
          if (!bad) continue;
          const run = await runAction({
            ref: 'refs/tags/v1.0.1',
            apiUrl: github.apiUrl,
            inputs: {
              ...acmeRolloutInputs(server, GITHUB_TOKEN),
              mounts: 'm1',
              ...bad.inputs,
            },
          });
          seen[i] = {
            inputs: bad.inputs,
            exitCode: run.exitCode,
            errors: run.errors,
          };
        }
      }),
    );

    expect(seen).toEqual(
      BAD_INPUTS.map((bad) => ({ inputs: bad.inputs, exitCode: 1, errors: [bad.error] })),
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await liveMount(server, 'secret', 'm1')).toMatchObject({ version: 'v1.0.0' });
  }, 300_000);
});
