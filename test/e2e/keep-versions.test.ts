import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

// keep-versions keeps the newest versions in SemVer precedence, pre-releases
// included, on a real OpenBao catalog.

const GITHUB_TOKEN = 'ghs_keepversionslab';
const PRE_RELEASES = ['v1.1.0-beta.2', 'v1.1.0-beta.10', 'v1.1.0-beta2', 'v1.1.0-beta10'];

let bao: LabServer;
let github: ReleaseServer;

beforeAll(async () => {
  [bao, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(bao, 'secret', 'acme', 'acme', 'v1.0.0');
  // The server registers a file it cannot start without asking its version: enough for catalog entries nothing mounts.
  const dud = join(bao.pluginDir, 'acme-dud');
  await writeFile(dud, '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const sha256 = await sha256File(dud);
  for (const version of PRE_RELEASES) {
    await bao.api('PUT', 'sys/plugins/catalog/secret/acme', {
      sha256,
      command: 'acme-dud',
      version,
    });
  }
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
  await Promise.all([bao.stop(), github.close()]);
});

describe('keep-versions', () => {
  it('keeps the newest pre-release as SemVer orders them and deregisters the rest', async () => {
    const result = await runAction({
      ref: 'refs/tags/v1.1.0',
      apiUrl: github.apiUrl,
      inputs: {
        url: bao.address,
        token: bao.token,
        'github-token': GITHUB_TOKEN,
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        'plugin-directory': bao.pluginDir,
        mounts: 'acme',
        'keep-versions': '2',
      },
    });

    expect(result.exitCode, result.log).toBe(0);
    expect(await liveMount(bao, 'secret', 'acme')).toMatchObject({ runningVersion: 'v1.1.0' });
    const pruned = ['v1.0.0', 'v1.1.0-beta.2', 'v1.1.0-beta.10', 'v1.1.0-beta10'];
    expect(JSON.parse(result.outputs.plan ?? '{}')).toMatchObject({ prune: pruned });
    for (const version of pruned) {
      expect(await catalogEntry(bao, 'secret', 'acme', version), version).toBeNull();
    }
    for (const version of ['v1.1.0-beta2', 'v1.1.0']) {
      expect(await catalogEntry(bao, 'secret', 'acme', version), version).not.toBeNull();
    }
  });
});
