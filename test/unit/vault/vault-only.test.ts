import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultClient } from '../../../src/vault/client.ts';
import { readPin } from '../../../src/vault/pins.ts';
import { emptyRecord, restartTargets } from '../../../src/rollout/apply.ts';
import { planRollout } from '../../../src/rollout/plan.ts';
import { restartsFor } from '../../../src/rollout/restarts.ts';
import { clusterSize, featuresOf, identify, readIdentity } from '../../../src/vault/identity.ts';
import {
  reloadConnections,
  reloadMounts,
  reloadPlugin,
  waitForGlobalReload,
} from '../../../src/vault/reload.ts';

// Behaviour only Vault has (OpenBao answers none of these), checked against
// the response shapes in Vault's API documentation and Go API client.

let server: Server | null = null;

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = null;
});

/** A loopback stand-in answering each path with the next body in its list. */
async function vaultAnswering(
  routes: Record<string, { status: number; body: unknown }[]>,
): Promise<VaultClient> {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/v1\//, '');
    const queue = routes[path] ?? [];
    const next = queue.length > 1 ? queue.shift() : queue[0];
    res.writeHead(next?.status ?? 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(next?.body ?? { errors: [] }));
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return new VaultClient({ address: `http://127.0.0.1:${port}`, token: 't', namespace: '' });
}

const instant = { sleep: () => Promise.resolve(), timeoutSeconds: 60 };

function clock(): () => number {
  let now = 0;
  return () => (now += 1000);
}

describe('Vault Enterprise global reloads', () => {
  it('waits until every node of sys/ha-status has reported', async () => {
    const client = await vaultAnswering({
      'sys/health': [{ status: 200, body: { version: '1.21.0+ent', enterprise: true } }],
      'sys/leader': [{ status: 200, body: { ha_enabled: true, is_self: true } }],
      'sys/ha-status': [{ status: 200, body: { data: { nodes: [{}, {}, {}] } } }],
      'sys/plugins/reload/backend/status': [
        {
          status: 200,
          body: { data: { reload_id: 'r1', results: { n1: { timestamp: 't', error: '' } } } },
        },
        {
          status: 200,
          body: {
            data: {
              reload_id: 'r1',
              results: {
                n1: { timestamp: 't', error: '' },
                n2: { timestamp: 't', error: '' },
                n3: { timestamp: 't', error: '' },
              },
            },
          },
        },
      ],
    });
    const nodes = clusterSize(await readIdentity(client));
    const reports = await waitForGlobalReload({
      client,
      reloadId: 'r1',
      nodes,
      now: clock(),
      ...instant,
    });
    expect(reports.map((r) => r.node)).toEqual(['n1', 'n2', 'n3']);
  });

  it('fails naming the node whose reload failed', async () => {
    const client = await vaultAnswering({
      'sys/plugins/reload/backend/status': [
        {
          status: 200,
          body: { data: { results: { n1: { error: '' }, n2: { error: 'plugin exited' } } } },
        },
      ],
    });
    await expect(
      waitForGlobalReload({ client, reloadId: 'r2', nodes: 2, now: clock(), ...instant }),
    ).rejects.toThrow('reload r2 failed on n2: plugin exited');
  });

  it('fails when not every node reported in time, saying which did', async () => {
    const client = await vaultAnswering({
      'sys/plugins/reload/backend/status': [
        { status: 200, body: { data: { results: { n1: { error: '' } } } } },
      ],
    });
    await expect(
      waitForGlobalReload({
        client,
        reloadId: 'r3',
        nodes: 3,
        now: clock(),
        sleep: () => Promise.resolve(),
        timeoutSeconds: 5,
      }),
    ).rejects.toThrow('reload r3: 1 of 3 nodes reported within 5s (reported: n1)');
  });

  it('treats a reload that reloaded nothing as a failure', async () => {
    const client = await vaultAnswering({
      'sys/plugins/reload/backend': [
        {
          status: 200,
          body: { data: { reload_id: 'r4' }, warnings: ['no plugins were reloaded locally'] },
        },
      ],
    });
    await expect(reloadMounts(client, ['acme'], 'global')).rejects.toThrow(
      'reload of acme reloaded nothing on the node that answered: no plugins were reloaded locally',
    );
  });
});

describe('pins (Vault 1.16+)', () => {
  it('reads the pinned version, and no pin as null', async () => {
    const pinned = await vaultAnswering({
      'sys/plugins/pins/secret/acme': [
        { status: 200, body: { data: { name: 'acme', type: 'secret', version: 'v1.0.0' } } },
      ],
    });
    expect(await readPin(pinned, 'secret', 'acme')).toBe('v1.0.0');
    expect(await readPin(pinned, 'secret', 'other')).toBeNull();
  });
});

describe('reloads by plugin (Vault 1.16+) and database connections', () => {
  it('keeps the reload id of a global plugin reload answered 202', async () => {
    // As Vault 1.21.0 community edition answered POST sys/plugins/reload/secret/acme with scope global.
    const client = await vaultAnswering({
      'sys/plugins/reload/secret/acme': [
        { status: 202, body: { data: { reload_id: 'r5' }, warnings: null } },
      ],
    });
    expect(await reloadPlugin(client, 'secret', 'acme', 'global')).toEqual({ reloadIds: ['r5'] });
  });

  it('fails a plugin reload that reloaded nothing where it was answered', async () => {
    const client = await vaultAnswering({
      'sys/plugins/reload/secret/acme': [
        {
          status: 202,
          body: {
            data: { reload_id: 'r6' },
            warnings: [
              'no plugins were reloaded locally (but they may be reloaded on other nodes)',
            ],
          },
        },
      ],
    });
    await expect(reloadPlugin(client, 'secret', 'acme', 'global')).rejects.toThrow(
      'reload of every mount of secret plugin acme reloaded nothing on the node that answered',
    );
  });

  it('names a connection the database mount left out of its plugin reload', async () => {
    // Vault logs a connection that failed to restart and leaves it out of `connections`.
    const client = await vaultAnswering({
      'database/reload/acme-db': [
        { status: 200, body: { data: { connections: ['orders'], count: 1 } } },
      ],
    });
    await expect(
      reloadConnections(client, 'database', 'acme-db', ['database/orders', 'database/users']),
    ).rejects.toThrow('reload of plugin acme-db under database/ did not restart database/users');
  });
});

describe('following a global reload by its id', () => {
  const ce = identify({ version: '1.21.0', enterprise: false }, { ha_enabled: false });
  const ent = identify({ version: '1.21.0+ent', enterprise: true }, { ha_enabled: false });
  const table = new Map([
    [
      'acme',
      {
        path: 'acme',
        plugin: 'acme',
        version: 'v1.0.0',
        runningVersion: 'v1.0.0',
        runningSha256: 'a',
      },
    ],
  ]);
  const plan = planRollout({
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.0.1',
    sha256: 'b',
    command: 'acme-v1.0.1',
    targets: ['acme'],
    exclude: [],
    canary: [],
    batchSize: 0,
    catalogEntry: null,
    mountTable: table,
    pluginFile: null,
    pin: null,
    movePin: false,
    server: {
      name: 'Vault 1.21.0',
      pins: true,
      pluginReload: true,
      connectionReload: true,
      reloadStatus: false,
    },
    catalogVersions: [],
    keepVersions: null,
    allTargets: table,
  });
  const routes = (status: { status: number; body: unknown }) => ({
    'sys/plugins/reload/backend': [{ status: 202, body: { data: { reload_id: 'r7' } } }],
    'sys/plugins/reload/backend/status': [status],
  });
  const deps = (client: VaultClient, clusterNodes: number | null) => ({
    client,
    plan,
    reloadScope: 'global' as const,
    clusterNodes,
    timeoutSeconds: 5,
    sleep: () => Promise.resolve(),
    now: clock(),
    concurrency: 1,
    log: () => undefined,
  });

  it('keeps the id of a 202 and does not follow it where the status path is 404 (community edition)', async () => {
    // As Vault 1.21.0 community edition answers: the status path is Enterprise's.
    const client = await vaultAnswering(
      routes({ status: 404, body: { errors: ['enterprise-only feature'] } }),
    );
    const record = emptyRecord();
    await restartTargets(
      deps(client, featuresOf(ce).reloadStatus ? 1 : null),
      restartsFor(plan, ['acme']),
      record,
    );
    expect(record.reloadIds).toEqual(['r7']);
    expect(record.reloaded).toEqual(['acme']);
  });

  it('follows it until every node reported on Enterprise', async () => {
    const client = await vaultAnswering(
      routes({
        status: 200,
        body: { data: { reload_id: 'r7', results: { n1: { error: '' }, n2: { error: 'boom' } } } },
      }),
    );
    expect(featuresOf(ent).reloadStatus).toBe(true);
    await expect(
      restartTargets(deps(client, 2), restartsFor(plan, ['acme']), emptyRecord()),
    ).rejects.toThrow('reload r7 failed on n2: boom');
  });
});
