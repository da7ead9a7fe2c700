import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/domain/errors.ts';
import { VaultClient, type Clock, type VaultClientOptions } from '../../../src/vault/client.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function serve(handler: Handler): Promise<{ url: string; seen: () => number }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, seen: () => seen };
}

const answer503: Handler = (_req, res) =>
  res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":["sealed"]}');
const drop: Handler = (req) => req.socket.destroy();

/** A clock that moves only when the client waits. */
function clock(start = 0): Clock & { at: number } {
  const c = {
    at: start,
    now: () => c.at,
    sleep: (ms: number) => {
      c.at += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  return c;
}

/** A client of the test server with a test token, in the root namespace. */
function clientOf(
  address: string,
  options: Omit<VaultClientOptions, 'address' | 'token' | 'namespace'>,
): VaultClient {
  return new VaultClient({ address, token: 't', namespace: '', ...options });
}

async function failure(call: Promise<unknown>): Promise<VaultError> {
  const error: unknown = await call.catch((e: unknown) => e);
  if (!(error instanceof VaultError)) throw new Error(`not a VaultError: ${String(error)}`);
  return error;
}

describe('the run deadline', () => {
  it('stops retrying at the deadline, though the call itself could go on', async () => {
    const server = await serve(answer503);
    const time = clock();
    const client = clientOf(server.url, { clock: time, callTimeoutMs: 120_000, deadline: 600 });
    const error = await failure(client.read('sys/mounts'));
    // Waits of 125 and 250 ms; the third (500) would pass 600 ms, so it is cut to 165, keeping a tenth for the last attempt.
    expect(server.seen()).toBe(4);
    expect(time.at).toBe(540);
    expect(error.message).toMatch(/answered 503: sealed \(gave up after 4 attempts/);
  });

  it('uses the whole call: an outage that outlasts half of it is still waited out', async () => {
    const time = clock();
    time.random = () => 0.99;
    const server = await serve((req, res) => {
      if (time.at < 4_500) answer503(req, res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{}}');
    });
    const client = clientOf(server.url, { clock: time, callTimeoutMs: 6_000 });
    // Waits of 247, 495, 990 and 1980 ms leave 2288 of 6000; the next (3960) is cut to 1688.
    expect(await client.read('sys/mounts')).toEqual({ data: {} });
    expect(server.seen()).toBe(6);
    expect(time.at).toBe(5_400);
  });

  it('sends nothing once the deadline has passed, and says why', async () => {
    const server = await serve(answer503);
    const client = clientOf(server.url, { clock: clock(1_000), deadline: 1_000 });
    const error = await failure(client.write('PUT', 'sys/mounts/a/tune', {}));
    expect(server.seen()).toBe(0);
    expect(error.message).toBe(
      'PUT /v1/sys/mounts/a/tune: not sent: the time the run may take (run-timeout) is spent',
    );
    expect(error.mayHaveApplied).toBe(false);
  });

  it('gives a later client more time with until(), the rest unchanged', async () => {
    const server = await serve((_req, res) => res.writeHead(200).end('{"ok":1}'));
    const late = clientOf(server.url, { clock: clock(1_000), deadline: 1_000 }).until(2_000);
    expect(await late.read('sys/mounts')).toEqual({ ok: 1 });
  });
});

describe('whether a failed write may have happened', () => {
  it('may have, when its answer was lost and reading it back failed too', async () => {
    const server = await serve(drop);
    const client = clientOf(server.url, { clock: clock() });
    const error = await failure(
      client.write(
        'POST',
        'sys/mounts/a/tune',
        {},
        { confirm: () => client.read('sys/mounts').then(() => false) },
      ),
    );
    expect(error.message).toMatch(
      /reading back whether it happened failed: GET \/v1\/sys\/mounts: no answer/,
    );
    expect(error.mayHaveApplied).toBe(true);
  });

  it('did not, when the server refused it', async () => {
    const server = await serve((_req, res) =>
      res.writeHead(403).end('{"errors":["permission denied"]}'),
    );
    const client = clientOf(server.url, { clock: clock() });
    const error = await failure(
      client.write('POST', 'sys/mounts/a/tune', {}, { repeatable: true }),
    );
    expect(error.status).toBe(403);
    expect(error.mayHaveApplied).toBe(false);
  });

  it('did not, when the server said what failed and that asking again will not help', async () => {
    const server = await serve((_req, res) =>
      res
        .writeHead(500)
        .end('{"errors":["error while validating the command path: no such file"]}'),
    );
    const client = clientOf(server.url, { clock: clock() });
    const error = await failure(
      client.write(
        'PUT',
        'sys/plugins/catalog/secret/acme',
        {},
        {
          repeatable: true,
          settled: (said) => said.some((e) => e.includes('no such file')),
        },
      ),
    );
    expect(server.seen()).toBe(1);
    expect(error.mayHaveApplied).toBe(false);
  });

  it('did not, when every attempt was turned away before the server acted (503)', async () => {
    const server = await serve(answer503);
    const client = clientOf(server.url, { clock: clock() });
    const error = await failure(
      client.write('PUT', 'sys/plugins/reload/backend', {}, { repeatable: true }),
    );
    expect(error.mayHaveApplied).toBe(false);
  });

  it('may have, when an earlier attempt was lost though a later one was turned away', async () => {
    let n = 0;
    const server = await serve((req, res) => (n++ === 0 ? drop(req, res) : answer503(req, res)));
    const client = clientOf(server.url, { clock: clock() });
    const error = await failure(
      client.write('PUT', 'sys/plugins/reload/backend', {}, { repeatable: true }),
    );
    expect(error.status).toBe(503);
    expect(error.mayHaveApplied).toBe(true);
  });
});
