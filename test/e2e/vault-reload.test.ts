import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_reloadlab';
const MOUNTS = ['a', 'b', 'team/c'];

let github: ReleaseServer;
const servers: LabServer[] = [];
let oldSha = '';
let newSha = '';

beforeAll(async () => {
  github = await startReleaseServer({ token: GITHUB_TOKEN });
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  oldSha = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.0'));
  newSha = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await github.close();
});

async function seeded(): Promise<LabServer> {
  const server = await startServer(SERVER);
  servers.push(server);
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of MOUNTS) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  return server;
}

async function roll(server: LabServer, inputs: Record<string, string>): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    ref: 'refs/tags/v1.0.1',
    inputs: { ...acmeRolloutInputs(server, GITHUB_TOKEN), ...inputs },
  });
}

/** The reload paths written, in order. */
async function reloadsSince(server: LabServer, mark: number): Promise<string[]> {
  return (await server.writesSince(mark))
    .map((w) => w.path)
    .filter((path) => path.startsWith('sys/plugins/reload/'));
}

describe('which reload the rollout sends', () => {
  it(`reloads every mount of the plugin with ${SERVER === 'vault' ? 'one plugin reload' : 'a reload of the mounts'} for mounts: all`, async () => {
    const server = await seeded();
    const mark = await server.auditMark();

    const run = await roll(server, { mounts: 'all' });

    expect(run.exitCode, run.log).toBe(0);
    for (const path of MOUNTS) {
      expect(await liveMount(server, 'secret', path)).toMatchObject({ runningSha256: newSha });
    }
    if (SERVER === 'vault') {
      // Vault 1.21.0 community edition: one namespace, so the plugin reload reaches exactly
      // the mounts the action found. Its 202 and reload id are kept; the status path is 404
      // on community edition and is not followed (a follow would have failed the run).
      expect(await reloadsSince(server, mark)).toEqual(['sys/plugins/reload/secret/acme']);
      expect(run.outputs['reload-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(run.log).toContain(
        'reloaded every mount of secret plugin acme: a, b, team/c (scope global, reload id',
      );
      expect(run.log).not.toContain('finished on');
    } else {
      // OpenBao has no plugin reload path: the mounts are named.
      expect(await reloadsSince(server, mark)).toEqual(['sys/plugins/reload/backend']);
    }
  });

  it('names the mounts when some are excluded, and the excluded one keeps its process', async () => {
    const server = await seeded();
    const mark = await server.auditMark();

    const run = await roll(server, { mounts: 'all', exclude: 'b' });

    expect(run.exitCode, run.log).toBe(0);
    expect(await reloadsSince(server, mark)).toEqual(['sys/plugins/reload/backend']);
    expect(await liveMount(server, 'secret', 'b')).toMatchObject({
      version: 'v1.0.0',
      runningSha256: oldSha,
    });
  });

  it('names the mounts when they are listed, whatever the server', async () => {
    const server = await seeded();
    const mark = await server.auditMark();

    const run = await roll(server, { mounts: 'a\nb\nteam/c' });

    expect(run.exitCode, run.log).toBe(0);
    expect(await reloadsSince(server, mark)).toEqual(['sys/plugins/reload/backend']);
  });
});
