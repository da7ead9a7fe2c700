import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startMeddler, type Meddler } from '../../lab/meddler.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { provenRows } from '../../lab/evidence.ts';
import { runAction, type RunOptions, type RunResult } from '../../lab/runner.ts';
import {
  catalogEntry,
  createConnection,
  enableMount,
  installPlugin,
  liveMount,
  type LiveMount,
} from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_pinlab';
const ROLLED = ['acme', 'team-a/acme'];
const ALL = [...ROLLED, 'other-acme'];
const PIN_PATH = 'sys/plugins/pins/secret/acme';

let github: ReleaseServer;
const servers: LabServer[] = [];
const meddlers: Meddler[] = [];
const sha: Record<string, string> = {};

beforeAll(async () => {
  github = await startReleaseServer({ token: GITHUB_TOKEN });
  for (const [kind, version] of [
    ['secrets', 'v1.0.0'],
    ['secrets', 'v1.0.1'],
    ['secrets', 'v1.1.0'],
    ['broken', 'v1.0.2'],
  ] as const) {
    sha[version] = await sha256File(fixtureBinary(SERVER, kind, version));
    github.publish(pluginRelease({ server: SERVER, name: 'acme', kind, version, format: 'zip' }));
  }
  for (const version of ['v1.0.0', 'v1.0.1']) {
    github.publish(
      pluginRelease({
        server: SERVER,
        repo: 'labdb',
        name: 'labdb',
        kind: 'database',
        version,
        format: 'tar.gz',
      }),
    );
  }
});

afterEach(async () => {
  await Promise.all(meddlers.splice(0).map((m) => m.close()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await github.close();
});

async function server(): Promise<LabServer> {
  const started = await startServer(SERVER);
  servers.push(started);
  return started;
}

/**
 * An operator's Vault: acme v1.0.0 and v1.0.1 installed, three mounts
 * configured for v1.0.0, and a pin at v1.0.1 that every mount already runs.
 */
async function pinnedVault(): Promise<LabServer> {
  const vault = await server();
  await installPlugin(vault, 'secret', 'acme', 'secrets', 'v1.0.0');
  await installPlugin(vault, 'secret', 'acme', 'secrets', 'v1.0.1');
  for (const path of ALL) await enableMount(vault, 'secret', path, 'acme', 'v1.0.0');
  await vault.api('POST', PIN_PATH, { version: 'v1.0.1' });
  await vault.api('PUT', 'sys/plugins/reload/backend', { mounts: ALL });
  return vault;
}

async function pinOf(vault: LabServer, path = PIN_PATH): Promise<string | null> {
  const pin = await vault.api<{ data: { version: string } }>('GET', path);
  return pin?.data.version ?? null;
}

/** The pin and what every mount is configured for and runs, read independently of the action. */
async function state(vault: LabServer): Promise<{ pin: string | null; mounts: LiveMount[] }> {
  return {
    pin: await pinOf(vault),
    mounts: await Promise.all(ALL.map((path) => liveMount(vault, 'secret', path))),
  };
}

function rollout(
  vault: LabServer,
  inputs: Record<string, string>,
  options: Partial<RunOptions> = {},
  url = vault.address,
): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    ref: 'refs/tags/v1.1.0',
    ...options,
    inputs: {
      ...acmeRolloutInputs(vault, GITHUB_TOKEN),
      url,
      mounts: ROLLED.join('\n'),
      ...inputs,
    },
  });
}

if (SERVER === 'vault') {
  describe('pins on Vault', () => {
    it('moves the pin and every listed mount’s configured version together, the pin lifted only for the tunes', async () => {
      const vault = await pinnedVault();
      const mark = await vault.auditMark();

      const run = await rollout(vault, { pin: 'true' });

      expect(run.exitCode, run.log).toBe(0);
      const after = await state(vault);
      expect(after.pin).toBe('v1.1.0');
      for (const mount of after.mounts.slice(0, 2)) {
        expect(mount).toMatchObject({
          version: 'v1.1.0',
          runningVersion: 'v1.1.0',
          runningSha256: sha['v1.1.0'],
        });
      }
      // Not listed: keeps its configuration and its process until its next reload, which the pin will move.
      expect(after.mounts[2]).toMatchObject({
        version: 'v1.0.0',
        runningVersion: 'v1.0.1',
        runningSha256: sha['v1.0.1'],
      });
      expect(run.log).toContain(
        '::warning title=Pin moves mounts not listed::the pin covers every mount of acme; not being rolled: other-acme, which will start v1.1.0 at their next reload',
      );
      const writes = (await vault.writesSince(mark)).filter((w) => !w.path.startsWith('sys/audit'));
      const at = (operation: string, path: string) =>
        writes.findIndex((w) => w.operation === operation && w.path === path);
      const lifted = at('delete', PIN_PATH);
      const pinned = at('update', PIN_PATH);
      const tunes = writes.flatMap((w, i) => (w.path.endsWith('/tune') ? [i] : []));
      const reload = writes.findIndex((w) => w.path.startsWith('sys/plugins/reload'));
      expect(tunes).toHaveLength(2);
      expect(lifted).toBeGreaterThanOrEqual(0);
      expect(tunes.every((i) => i > lifted && i < pinned)).toBe(true);
      expect(reload).toBeGreaterThan(pinned);
      expect(provenRows(run).map((r) => [r.mount, r.result, r.evidence])).toEqual([
        ['acme', 'updated', ['sha256']],
        ['team-a/acme', 'updated', ['sha256']],
      ]);
      expect(run.summary).toContain('| running SHA-256 | ✅ updated |');

      const back = await rollout(
        vault,
        { pin: 'true' },
        { eventName: 'workflow_dispatch', event: { inputs: { version: 'v1.0.1' } } },
      );

      expect(back.exitCode, back.log).toBe(0);
      const restored = await state(vault);
      expect(restored.pin).toBe('v1.0.1');
      for (const mount of restored.mounts.slice(0, 2)) {
        expect(mount).toMatchObject({
          version: 'v1.0.1',
          runningVersion: 'v1.0.1',
          runningSha256: sha['v1.0.1'],
        });
      }
    });

    it('rolls a build that cannot start back to exactly the pin and configuration it found', async () => {
      const vault = await pinnedVault();
      const before = await state(vault);

      const run = await rollout(vault, { pin: 'true' }, { ref: 'refs/tags/v1.0.2' });

      expect(run.exitCode).toBe(1);
      expect(run.outputs['rolled-back'], run.log).toBe('true');
      expect(await state(vault)).toEqual(before);
      expect(run.errors[0]).toContain(
        'rolled back: every touched mount runs its previous version again',
      );
      expect(provenRows(run).map((r) => [r.result, r.evidence])).toEqual([
        ['rolled-back', ['sha256']],
        ['rolled-back', ['sha256']],
      ]);
    });

    it('restores the pin and the mounts when a tune is refused while the pin is lifted', async () => {
      const vault = await pinnedVault();
      const before = await state(vault);
      // Someone pins the plugin again just as the first tune goes out: the server refuses it.
      const meddler = await startMeddler(
        vault.address,
        (r) => r.method === 'POST' && r.path.endsWith('/tune'),
        async () => {
          await vault.api('POST', PIN_PATH, { version: 'v1.0.1' });
        },
      );
      meddlers.push(meddler);

      const run = await rollout(vault, { pin: 'true' }, {}, meddler.url);

      expect(meddler.acted()).toBe(true);
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]).toContain(
        'plugin_version cannot be set for secret plugin "acme" as a pinned version v1.0.1 is in effect',
      );
      expect(run.outputs['rolled-back'], run.log).toBe('true');
      expect(await state(vault)).toEqual(before);
    });

    it('never leaves the pin lifted when a tune fails and automatic rollback is off', async () => {
      const vault = await pinnedVault();
      const before = await state(vault);
      // Another job deregisters the new version just as the first tune goes out.
      const meddler = await startMeddler(
        vault.address,
        (r) => r.method === 'POST' && r.path.endsWith('/tune'),
        async () => {
          await vault.api('DELETE', 'sys/plugins/catalog/secret/acme?version=v1.1.0');
        },
      );
      meddlers.push(meddler);

      const run = await rollout(
        vault,
        { pin: 'true', 'rollback-on-failure': 'false' },
        {},
        meddler.url,
      );

      expect(meddler.acted()).toBe(true);
      expect(run.exitCode).toBe(1);
      expect(run.outputs['rolled-back']).toBe('false');
      const after = await state(vault);
      expect(after.pin).toBe('v1.0.1');
      // Whatever a tune recorded, every mount still runs what it ran, and the next reload starts the pin's version.
      expect(after.mounts.map((m) => [m.runningVersion, m.runningSha256])).toEqual(
        before.mounts.map((m) => [m.runningVersion, m.runningSha256]),
      );
    });

    it('stops before any write when a pin holds another version and pin is not true', async () => {
      const vault = await pinnedVault();
      const mark = await vault.auditMark();

      const run = await rollout(vault, {});

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        'a pin holds secret plugin acme at v1.0.1, and every reload starts the pinned version whatever the mounts say; set pin: true to move the pin to v1.1.0, or delete the pin',
      ]);
      expect(await vault.writesSince(mark)).toEqual([]);
    });

    it('never asks to deregister a version that is pinned when the prune runs', async () => {
      const vault = await server();
      await installPlugin(vault, 'secret', 'acme', 'secrets', 'v1.0.0');
      await installPlugin(vault, 'secret', 'acme', 'secrets', 'v1.0.1');
      for (const path of ROLLED) await enableMount(vault, 'secret', path, 'acme', 'v1.0.1');
      // Someone pins v1.0.0 after the mounts were verified, right before the prune.
      const meddler = await startMeddler(
        vault.address,
        (r, seen) =>
          r.method === 'GET' &&
          r.path === PIN_PATH &&
          seen.some((s) => s.path.startsWith('sys/plugins/reload')),
        async () => {
          await vault.api('POST', PIN_PATH, { version: 'v1.0.0' });
        },
      );
      meddlers.push(meddler);

      const run = await rollout(vault, { 'keep-versions': '1' }, {}, meddler.url);

      expect(meddler.acted()).toBe(true);
      expect(run.exitCode, run.log).toBe(0);
      expect(run.log).toContain('kept v1.0.0: it is pinned');
      expect(await catalogEntry(vault, 'secret', 'acme', 'v1.0.0')).not.toBeNull();
      expect(await catalogEntry(vault, 'secret', 'acme', 'v1.0.1')).toBeNull();
    });

    it('moves a database plugin’s pin and restarts every connection under the mount with one call', async () => {
      const vault = await server();
      await installPlugin(vault, 'database', 'labdb', 'database', 'v1.0.0');
      await installPlugin(vault, 'database', 'labdb', 'database', 'v1.0.1');
      await vault.api('POST', 'sys/mounts/database', { type: 'database' });
      const connections = ['database/orders', 'database/users'];
      for (const path of connections) await createConnection(vault, path, 'labdb', 'v1.0.1');
      // Configured for v1.0.1, but a pin at v1.0.0 makes both run v1.0.0.
      await vault.api('POST', 'sys/plugins/pins/database/labdb', { version: 'v1.0.0' });
      for (const path of connections) await vault.api('POST', path.replace('/', '/reset/'), {});
      const mark = await vault.auditMark();

      const run = await runAction({
        apiUrl: github.apiUrl,
        ref: 'refs/tags/v1.0.1',
        repository: 'acme/labdb',
        inputs: {
          url: vault.address,
          token: vault.token,
          'github-token': GITHUB_TOKEN,
          'plugin-type': 'database',
          'plugin-name': 'labdb',
          artifact: 'labdb_{version}_{os}_{arch}.tar.gz',
          'plugin-directory': vault.pluginDir,
          connections: 'all',
          pin: 'true',
        },
      });

      expect(run.exitCode, run.log).toBe(0);
      expect(await pinOf(vault, 'sys/plugins/pins/database/labdb')).toBe('v1.0.1');
      for (const path of connections) {
        const config = await vault.api<{ data: Record<string, string> }>(
          'GET',
          path.replace('/', '/config/'),
        );
        expect(config?.data).toMatchObject({
          plugin_version: 'v1.0.1',
          running_plugin_version: 'v1.0.1',
        });
      }
      const writes = (await vault.writesSince(mark)).map((w) => w.path);
      expect(writes).toContain('database/reload/labdb');
      expect(writes.filter((p) => p.startsWith('database/config/'))).toEqual([]);
      expect(provenRows(run).map((r) => r.evidence)).toEqual([
        ['running-version'],
        ['running-version'],
      ]);
    });
  });
}

if (SERVER === 'openbao') {
  describe('pins on OpenBao', () => {
    it('refuses pin: true in one line before any write: OpenBao has no pins', async () => {
      const bao = await server();
      await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
      for (const path of ROLLED) await enableMount(bao, 'secret', path, 'acme', 'v1.0.0');
      const mark = await bao.auditMark();

      const run = await rollout(bao, { pin: 'true' });

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        'pin: true, but OpenBao 2.7.2 has no plugin pins (Vault 1.16 and later have them); remove the input',
      ]);
      expect(await bao.writesSince(mark)).toEqual([]);
    });
  });
}
