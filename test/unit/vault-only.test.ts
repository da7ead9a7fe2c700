import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultClient } from '../../src/vault/client.ts';
import { readPin } from '../../src/vault/pins.ts';
import { countClusterNodes, reloadMounts, waitForGlobalReload } from '../../src/vault/reload.ts';

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
    const nodes = await countClusterNodes(client);
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
