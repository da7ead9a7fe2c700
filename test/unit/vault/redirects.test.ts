import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultClient } from '../../../src/vault/client.ts';

// The client follows a redirect only to an origin the user named, so neither
// the token nor a request body ever reaches another one.

interface Seen {
  url: string;
  token: string;
  body: string;
}

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(
  answer: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const token = req.headers['x-vault-token'];
      seen.push({ url: req.url ?? '', token: typeof token === 'string' ? token : '', body });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, seen };
}

const ok = (_req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
};

const redirectTo =
  (target: () => string, status = 307) =>
  (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(status, { location: `${target()}${req.url ?? ''}` }).end();
  };

function clientOf(address: string, nodes: string[] = []): VaultClient {
  return new VaultClient({
    address,
    token: 'hvs.secret-token',
    namespace: '',
    nodes,
    retry: { attempts: 1, baseMs: 1, capMs: 1 },
  });
}

describe('redirects', () => {
  it('follows a 308 on the same server, token and body included', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/v1/old') res.writeHead(308, { location: '/v1/new' }).end();
      else ok(req, res);
    });
    expect(await clientOf(server.url).write('POST', 'old', { secret_id: 's' })).toEqual({
      ok: true,
    });
    expect(server.seen.map((s) => [s.url, s.token, s.body])).toEqual([
      ['/v1/old', 'hvs.secret-token', '{"secret_id":"s"}'],
      ['/v1/new', 'hvs.secret-token', '{"secret_id":"s"}'],
    ]);
  });

  it('refuses a 307 to a server that is not listed, in one line naming both, and sends it nothing', async () => {
    const other = await serve(ok);
    const server = await serve(redirectTo(() => other.url));
    const call = clientOf(server.url).write('POST', 'auth/approle/login', { secret_id: 's' });
    await expect(call).rejects.toThrow(
      `POST /v1/auth/approle/login answered 307: redirect from ${server.url} to ${other.url} refused: ${new URL(other.url).host} is neither the url server nor a node listed in nodes (list it there if it is a node of this cluster); nothing was sent to ${new URL(other.url).host}`,
    );
    expect(other.seen).toEqual([]);
  });

  it('lets a node client be redirected back to the url server', async () => {
    let url = '';
    const node = await serve(redirectTo(() => url));
    const server = await serve(ok);
    url = server.url;
    expect(await clientOf(server.url, [node.url]).atAddress(node.url).read('sys/mounts')).toEqual({
      ok: true,
    });
    expect(server.seen.map((s) => s.token)).toEqual(['hvs.secret-token']);
  });

  it('does not take a 302 for an answer', async () => {
    const server = await serve(redirectTo(() => 'http://127.0.0.1:9', 302));
    await expect(
      clientOf(server.url).write('PUT', 'sys/plugins/catalog/secret/a', {}),
    ).rejects.toThrow('answered 302: redirect from');
  });

  it('stops a redirect loop', async () => {
    let self = '';
    const server = await serve(redirectTo(() => self));
    self = server.url;
    await expect(clientOf(server.url).read('sys/mounts')).rejects.toThrow(
      'refused: it is redirect number 6',
    );
    expect(server.seen).toHaveLength(6);
  });
});
