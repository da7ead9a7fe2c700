import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { startFaultProxy, type FaultProxy } from '../../lab/fault-proxy.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { resetScenario, type Scenario } from '../../lab/rollout-state.ts';
import { runAction, type RunResult, resultRows } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_concurrencylab';
const MOUNTS = ['c1', 'c2', 'c3'];

let server: LabServer;
let proxy: FaultProxy;
let github: ReleaseServer;
const hashes = new Map<string, string>();
let scenario: Scenario;

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  proxy = await startFaultProxy(server.address);
  for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
    hashes.set(version, await sha256File(fixtureBinary(SERVER, 'secrets', version)));
  }
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of MOUNTS) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  for (const version of ['v1.0.1', 'v1.1.0']) {
    github.publish(
      pluginRelease({ server: SERVER, name: 'acme', kind: 'secrets', version, format: 'zip' }),
    );
  }
  const fixture = (version: string) => ({
    version,
    sha256: hashes.get(version) ?? '',
    command: `acme-${version}`,
  });
  scenario = {
    type: 'secret',
    name: 'acme',
    mounts: MOUNTS,
    from: fixture('v1.0.0'),
    to: fixture('v1.0.1'),
  };
}, 120_000);

afterAll(async () => {
  await Promise.all([proxy.close(), server.stop(), github.close()]);
}, 60_000);

function rollout(
  url: string,
  tag: string,
  inputs: Record<string, string> = {},
): Promise<RunResult> {
  return runAction({
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: {
      url,
      token: server.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: assetTemplate('acme', 'zip'),
      'plugin-directory': server.pluginDir,
      mounts: MOUNTS.join('\n'),
      ...inputs,
    },
  });
}

describe('rollouts that meet other writers', () => {
  it('stops when a mount of the next batch was moved after the plan, and rolls back only its own', async () => {
    await resetScenario(server, scenario);
    proxy.arm(0, null);
    const clean = await rollout(proxy.url, 'v1.0.1', { canary: 'c1', 'batch-size': '1' });
    expect(clean.exitCode, clean.log).toBe(0);
    // The read just before batch 2's first write: another writer moves c2 right then.
    const tuneC2 = proxy.seen.findIndex((r) => r.method !== 'GET' && r.path.endsWith('/c2/tune'));
    expect(tuneC2).toBeGreaterThan(0);
    await resetScenario(server, scenario);
    await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.1.0');
    const mark = await server.auditMark();
    proxy.arm(tuneC2, null, async () => {
      await server.api('POST', 'sys/mounts/c2/tune', { plugin_version: 'v1.1.0' });
      await server.api('PUT', 'sys/plugins/reload/backend', { mounts: ['c2'] });
    });

    const run = await rollout(proxy.url, 'v1.0.1', { canary: 'c1', 'batch-size': '1' });

    expect(proxy.fired()).toBe(true);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toContain(
      'the server changed since the plan was made: c2/ is now configured for v1.1.0, not v1.0.0 as planned; another rollout or a person is acting on the same plugin, so this one stopped before writing to it (use a workflow concurrency group) — rolled back: every touched mount runs its previous version again',
    );
    expect(await liveMount(server, 'secret', 'c1')).toMatchObject({
      version: 'v1.0.0',
      runningSha256: hashes.get('v1.0.0'),
    });
    expect(await liveMount(server, 'secret', 'c2')).toMatchObject({
      version: 'v1.1.0',
      runningSha256: hashes.get('v1.1.0'),
    });
    expect(await liveMount(server, 'secret', 'c3')).toMatchObject({
      version: 'v1.0.0',
      runningSha256: hashes.get('v1.0.0'),
    });
    const writes = (await server.writesSince(mark)).map((w) => w.path);
    expect(writes.filter((p) => p === 'sys/mounts/c2/tune')).toHaveLength(1);
    expect(writes).not.toContain('sys/mounts/c3/tune');
    const rows = resultRows(run);
    expect(rows.map((r) => [r.mount, r.result])).toEqual([
      ['c1', 'rolled-back'],
      ['c2', 'not-started'],
      ['c3', 'not-started'],
    ]);
  });

  it('stops on a mount moved right after the register, and says there is nothing to roll back', async () => {
    await resetScenario(server, scenario);
    proxy.arm(0, null);
    const clean = await rollout(proxy.url, 'v1.0.1');
    expect(clean.exitCode, clean.log).toBe(0);
    // The first request after the catalog write: another writer moves c1 right then.
    const register = proxy.seen.findIndex(
      (r) => r.method === 'PUT' && r.path.startsWith('/v1/sys/plugins/catalog/secret/acme'),
    );
    expect(register).toBeGreaterThan(0);
    await resetScenario(server, scenario);
    await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.1.0');
    const mark = await server.auditMark();
    proxy.arm(register + 2, null, async () => {
      await server.api('POST', 'sys/mounts/c1/tune', { plugin_version: 'v1.1.0' });
    });

    const run = await rollout(proxy.url, 'v1.0.1');

    expect(proxy.fired()).toBe(true);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'the server changed since the plan was made: c1/ is now configured for v1.1.0, not v1.0.0 as planned; another rollout or a person is acting on the same plugin, so this one stopped before writing to it (use a workflow concurrency group)',
    ]);
    expect(run.outputs['rolled-back']).toBe('false');
    expect(run.summary).toContain('Nothing to roll back: no mount was tuned.');
    const writes = (await server.writesSince(mark)).map((w) => w.path);
    expect(writes.filter((p) => p !== 'sys/mounts/c1/tune')).toEqual([
      'sys/plugins/catalog/secret/acme',
    ]);
    for (const path of ['c2', 'c3']) {
      expect(await liveMount(server, 'secret', path)).toMatchObject({
        version: 'v1.0.0',
        runningSha256: hashes.get('v1.0.0'),
      });
    }
  });

  it('two rollouts of different versions at once leave every mount running what it is configured for', async () => {
    await resetScenario(server, scenario);
    const runs = await Promise.all([
      rollout(server.address, 'v1.0.1'),
      rollout(server.address, 'v1.1.0'),
    ]);

    for (const run of runs) {
      expect([0, 1]).toContain(run.exitCode);
      if (run.exitCode === 1) {
        expect(run.log).toMatch(
          /::error title=[^\n]*::.*(the server changed since the plan was made|rolled back: every touched mount runs its previous version again)/,
        );
      }
    }
    const versions = new Set<string>();
    for (const path of MOUNTS) {
      const live = await liveMount(server, 'secret', path);
      expect(live.runningVersion, path).toBe(live.version);
      expect(live.runningSha256, path).toBe(hashes.get(live.version));
      versions.add(live.version);
    }
    expect(versions.size, 'every mount on one version').toBe(1);
    for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
      const entry = await catalogEntry(server, 'secret', 'acme', version);
      if (entry) expect(entry.sha256, version).toBe(hashes.get(version));
    }
  });
});
