import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { pluginRelease, acmeRolloutInputs } from '../../lab/releases.ts';
import { runAction, type RunOptions, resultRows } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

// A multiplexed plugin (plugin.ServeMultiplex, as HashiCorp builds its own)
// runs one process per version for every mount of that version, and OpenBao
// stops that shared process when any of its mounts is reloaded. The rollout
// must still leave each mount on exactly the build it should run.

const GITHUB_TOKEN = 'ghs_multiplexedlab';
const ROLLED = ['m1', 'm2'];
const KEPT = 'kept';

let server: LabServer;
let github: ReleaseServer;
const sha = { v100: '', v101: '', v110: '' };

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  sha.v100 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.0', 'multiplexed'));
  sha.v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1', 'multiplexed'));
  sha.v110 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.1.0', 'multiplexed'));
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0', 'multiplexed');
  for (const path of [...ROLLED, KEPT]) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  for (const version of ['v1.0.1', 'v1.1.0']) {
    github.publish(
      pluginRelease({
        server: SERVER,
        name: 'acme',
        kind: 'secrets',
        version,
        flavor: 'multiplexed',
        format: 'zip',
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function rollout(tag: string, inputs: Record<string, string> = {}): RunOptions {
  return {
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: {
      ...acmeRolloutInputs(server, GITHUB_TOKEN),
      'plugin-type': 'secret',
      mounts: ROLLED.join('\n'),
      probe: 'info',
      ...inputs,
    },
  };
}

/** What the plugin process serving a mount says about itself. */
async function info(path: string): Promise<{ version: string; flavor: string; pid: number }> {
  const response = await server.api<{ data: { version: string; flavor: string; pid: number } }>(
    'GET',
    `${path}/info`,
  );
  if (!response) throw new Error(`${path}/info answered 404`);
  return response.data;
}

async function expectOn(path: string, version: string, sha256: string): Promise<void> {
  expect(await liveMount(server, 'secret', path), path).toEqual({
    plugin: 'acme',
    version,
    runningVersion: version,
    runningSha256: sha256,
  });
  expect(await info(path), path).toMatchObject({ version, flavor: 'multiplexed' });
}

describe('a multiplexed plugin rolls out to a real server', () => {
  it('moves the listed mounts onto one process of the new build and leaves the others on the old one', async () => {
    const before = await Promise.all([...ROLLED, KEPT].map(info));
    expect(new Set(before.map((i) => i.pid)).size, 'one process serves every mount').toBe(1);

    const run = await runAction(rollout('v1.0.1'));

    expect(run.exitCode, run.log).toBe(0);
    for (const path of ROLLED) await expectOn(path, 'v1.0.1', sha.v101);
    await expectOn(KEPT, 'v1.0.0', sha.v100);
    const [m1, m2, kept] = await Promise.all([...ROLLED, KEPT].map(info));
    expect(m2?.pid, 'the rolled mounts share the new process').toBe(m1?.pid);
    expect(kept?.pid, 'the unlisted mount is not served by the new process').not.toBe(m1?.pid);
    expect(run.outputs).toMatchObject({ version: 'v1.0.1', sha256: sha.v101, changed: 'true' });
    const rows = resultRows(run);
    expect(rows.map((r) => [r.mount, r.result, r.running_sha256])).toEqual([
      ['m1', 'updated', sha.v101],
      ['m2', 'updated', sha.v101],
    ]);
    expect(run.log).toContain('batch 1 of 1: info answered on every mount');
    expect(run.summary).toContain('## ✅ Rolled out `acme` `v1.0.1`');
  });

  it('a failed rollout puts every touched mount back on the build it ran', async () => {
    const run = await runAction(rollout('v1.1.0', { probe: 'missing-path' }));

    expect(run.exitCode).toBe(1);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(run.errors).toEqual([
      expect.stringMatching(
        /^probe: GET \/v1\/m[12]\/missing-path answered .* — rolled back: every touched mount runs its previous version again$/,
      ),
    ]);
    for (const path of ROLLED) await expectOn(path, 'v1.0.1', sha.v101);
    await expectOn(KEPT, 'v1.0.0', sha.v100);
    const rows = resultRows(run);
    expect(rows.map((r) => [r.mount, r.result, r.running_sha256])).toEqual([
      ['m1', 'rolled-back', sha.v101],
      ['m2', 'rolled-back', sha.v101],
    ]);
    expect(run.summary).toContain('## ↩️ Rolled back: `acme` `v1.1.0` failed at the rollout stage');
    // The new build stays registered beside the old one; only the mounts moved back.
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.1.0')).toMatchObject({
      sha256: sha.v110,
    });
  });
});
