import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions, type RunResult } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_cataloglab';
/** The version each server gives its builtin totp. */
const BUILTIN = { openbao: 'v2.7.2+builtin.bao', vault: 'v1.21.0+builtin.vault' }[SERVER];

let server: LabServer;
let github: ReleaseServer;

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  for (const path of ['totp-lab', 'totp-other']) {
    await server.api('POST', `sys/mounts/${path}`, { type: 'totp' });
  }
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.1');
  for (const path of ['acme', 'team-a/acme'])
    await enableMount(server, 'secret', path, 'acme', 'v1.0.1');
  await enableMount(server, 'secret', 'legacy', 'acme', 'v1.0.0');
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'totp',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.1.0',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function run(
  inputs: Record<string, string>,
  options: Partial<RunOptions> = {},
): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    ...options,
    inputs: { url: server.address, token: server.token, 'github-token': GITHUB_TOKEN, ...inputs },
  });
}

describe('the catalog around a rollout', () => {
  it('overrides a builtin plugin like any other plugin', async () => {
    const result = await run(
      {
        'plugin-name': 'totp',
        artifact: assetTemplate('totp', 'zip'),
        'plugin-directory': server.pluginDir,
        mounts: 'totp-lab\ntotp-other',
      },
      { ref: 'refs/tags/v1.0.1' },
    );

    expect(result.exitCode, result.log).toBe(0);
    const sha = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
    for (const path of ['totp-lab', 'totp-other']) {
      expect(await liveMount(server, 'secret', path)).toMatchObject({
        plugin: 'totp',
        version: 'v1.0.1',
        runningSha256: sha,
      });
    }
  });

  it('reverts a mount to the builtin and keeps the override another mount still runs', async () => {
    const result = await run({
      'plugin-name': 'totp',
      mounts: 'totp-lab',
      'revert-to-builtin': 'true',
    });

    expect(result.exitCode, result.log).toBe(0);
    expect(await liveMount(server, 'secret', 'totp-lab')).toEqual({
      plugin: 'totp',
      version: BUILTIN,
      runningVersion: BUILTIN,
      runningSha256: '',
    });
    expect(await catalogEntry(server, 'secret', 'totp', 'v1.0.1')).not.toBeNull();
    expect(result.outputs.version).toBe(BUILTIN);
  });

  it('deregisters the override once no mount runs it', async () => {
    const result = await run({
      'plugin-name': 'totp',
      mounts: 'totp-other',
      'revert-to-builtin': 'true',
    });

    expect(result.exitCode, result.log).toBe(0);
    expect(await liveMount(server, 'secret', 'totp-other')).toMatchObject({
      runningVersion: BUILTIN,
    });
    expect(await catalogEntry(server, 'secret', 'totp', 'v1.0.1')).toBeNull();
    expect(result.log).toContain('deregistered secret plugin totp v1.0.1');
  });

  it('prunes old versions after a verified rollout, never one a mount runs', async () => {
    const result = await run(
      {
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        'plugin-directory': server.pluginDir,
        mounts: 'acme\nteam-a/acme',
        'keep-versions': '1',
      },
      { ref: 'refs/tags/v1.1.0' },
    );

    expect(result.exitCode, result.log).toBe(0);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toBeNull();
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.0')).not.toBeNull();
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.1.0')).not.toBeNull();
    expect(await liveMount(server, 'secret', 'legacy')).toMatchObject({ runningVersion: 'v1.0.0' });
    expect(JSON.parse(result.outputs.plan ?? '{}')).toMatchObject({ prune: ['v1.0.1'] });
  });
});
