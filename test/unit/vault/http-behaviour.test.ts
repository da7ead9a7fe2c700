import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { readAuthConfig } from '../../../src/inputs/login.ts';
import { authenticate, type AuthDeps } from '../../../src/vault/auth.ts';
import { missingCapabilities } from '../../../src/vault/capabilities.ts';
import { registerPlugin } from '../../../src/vault/catalog.ts';
import { VaultClient, type Clock } from '../../../src/vault/client.ts';
import { proxyFor } from '../../../src/http/proxy.ts';
import { describeIdentity, identify } from '../../../src/vault/identity.ts';
import { backoffMs } from '../../../src/vault/retry.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
const servers: { close(): void }[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** A loopback server answering each request with the next scripted handler. */
async function scripted(...handlers: Handler[]): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      const handler = handlers[Math.min(seen.length - 1, handlers.length - 1)];
      handler?.(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({ close: () => server.close() });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { url: `http://127.0.0.1:${address.port}`, seen };
}

const status =
  (code: number, body: unknown = {}): Handler =>
  (_req, res) =>
    res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
const drop: Handler = (req) => req.socket.destroy();

function fastClock(waits: number[]): Clock {
  let now = 0;
  return {
    now: () => now,
    sleep: (ms) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

function client(url: string, waits: number[] = []): VaultClient {
  return new VaultClient({ address: url, token: 't', namespace: 'ns1', clock: fastClock(waits) });
}

describe('HTTP behaviour', () => {
  it('retries 429, 412 and 503 with growing jittered waits, then succeeds', async () => {
    const server = await scripted(status(429), status(412), status(503), status(200, { ok: 1 }));
    const waits: number[] = [];
    expect(await client(server.url, waits).read('sys/mounts')).toEqual({ ok: 1 });
    expect(waits).toEqual([125, 250, 500]);
  });

  it('gives up with the method, path, status and server text', async () => {
    const server = await scripted(status(502, { errors: ['upstream gone'] }));
    await expect(client(server.url).read('sys/mounts')).rejects.toThrow(
      /^GET \/v1\/sys\/mounts answered 502: upstream gone \(gave up after 10 attempts in /,
    );
    expect(server.seen).toHaveLength(10);
  });

  it('says a call got no answer, not a status, with how often and how long it was tried', async () => {
    const server = await scripted(drop);
    await expect(client(server.url).read('sys/mounts')).rejects.toThrow(
      /^GET \/v1\/sys\/mounts: no answer from http:\/\/127\.0\.0\.1:\d+ after 10 attempts in \d+\.\d s: other side closed$/,
    );
    expect(server.seen).toHaveLength(10);
  });

  it('does not repeat a register the server refuses for a missing plugin file', async () => {
    const missing = `1 error occurred:\n\t* error while validating the command path: lstat /plugins/acme-v1.3.0: no such file or directory\n\n`;
    const server = await scripted(status(500, { errors: [missing] }));
    const register = registerPlugin(client(server.url), {
      type: 'secret',
      name: 'acme',
      version: 'v1.3.0',
      sha256: 'ab',
      command: 'acme-v1.3.0',
    });
    await expect(register).rejects.toThrow(/answered 500: .*no such file or directory$/);
    expect(server.seen).toHaveLength(1);
  });

  it('does not retry a client error', async () => {
    const server = await scripted(status(403, { errors: ['permission denied'] }));
    await expect(client(server.url).write('POST', 'sys/mounts/a/tune', {})).rejects.toThrow(
      'POST /v1/sys/mounts/a/tune answered 403: permission denied',
    );
    expect(server.seen).toHaveLength(1);
  });

  it('never repeats a write whose answer was lost unless a re-read says it did not happen', async () => {
    const lost = await scripted(drop, status(204));
    await expect(client(lost.url).write('PUT', 'sys/plugins/catalog/secret/a', {})).rejects.toThrow(
      'it was not sent again',
    );
    expect(lost.seen).toHaveLength(1);

    const happened = await scripted(status(504), status(204));
    await client(happened.url).write(
      'PUT',
      'sys/plugins/catalog/secret/a',
      {},
      {
        confirm: () => Promise.resolve(true),
      },
    );
    expect(happened.seen).toHaveLength(1);

    const missing = await scripted(status(500), status(204));
    await client(missing.url).write(
      'PUT',
      'sys/plugins/catalog/secret/a',
      {},
      {
        confirm: () => Promise.resolve(false),
      },
    );
    expect(missing.seen).toHaveLength(2);
  });

  it('follows a standby 307 to an active node listed in nodes with the same method, body and headers', async () => {
    const active = await scripted((req, res, body) =>
      res.writeHead(200).end(JSON.stringify({ body, ns: req.headers['x-vault-namespace'] })),
    );
    const standby = await scripted((req, res) =>
      res.writeHead(307, { location: `${active.url}${req.url ?? ''}` }).end(),
    );
    const listed = new VaultClient({
      address: standby.url,
      token: 't',
      namespace: 'ns1',
      nodes: [active.url],
      clock: fastClock([]),
    });
    expect(await listed.write('PUT', 'sys/plugins/reload/backend', { a: 1 })).toEqual({
      body: '{"a":1}',
      ns: 'ns1',
    });
    expect(active.seen).toEqual(['PUT /v1/sys/plugins/reload/backend']);
  });

  it('stops at the overall timeout', async () => {
    const server = await scripted(status(503));
    const waits: number[] = [];
    const c = new VaultClient({
      address: server.url,
      token: 't',
      namespace: '',
      clock: fastClock(waits),
      callTimeoutMs: 400,
    });
    await expect(c.read('sys/health')).rejects.toThrow('gave up after 3 attempts');
  });

  it('times out a hanging attempt', async () => {
    const server = await scripted(() => undefined);
    const c = new VaultClient({
      address: server.url,
      token: 't',
      namespace: '',
      requestTimeoutMs: 50,
      retry: { attempts: 2, baseMs: 1, capMs: 1 },
    });
    await expect(c.write('POST', 'auth/approle/login', {})).rejects.toThrow(
      'no answer from http://127.0.0.1',
    );
  });
});

describe('pure decisions', () => {
  it('spreads waits with full jitter under a cap', () => {
    const policy = { attempts: 6, baseMs: 250, capMs: 8000 };
    expect([1, 2, 3, 6, 10].map((n) => backoffMs(policy, n, () => 0.999))).toEqual([
      249, 499, 999, 7992, 7992,
    ]);
    expect(backoffMs(policy, 3, () => 0)).toBe(0);
  });

  it('picks the proxy as Vault clients do, honouring NO_PROXY and never for this machine', () => {
    const env = {
      HTTPS_PROXY: 'proxy:3128',
      HTTP_PROXY: 'http://p80:8080',
      NO_PROXY: '.internal,10.0.0.1:8200',
    };
    expect(proxyFor(new URL('https://vault.example.com:8200'), env)).toBe('http://proxy:3128');
    expect(proxyFor(new URL('http://vault.example.com:8200'), env)).toBe('http://p80:8080');
    expect(proxyFor(new URL('https://vault.acme.internal:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://10.0.0.1:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://10.0.0.1:8201'), env)).toBe('http://proxy:3128');
    expect(proxyFor(new URL('https://x'), { https_proxy: 'http://p', no_proxy: '*' })).toBe('');
    expect(proxyFor(new URL('http://127.0.0.1:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://127.8.9.10:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://localhost:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://[::1]:8200'), env)).toBe('');
    expect(proxyFor(new URL('https://localhost.example.com'), env)).toBe('http://proxy:3128');
  });

  it('names every missing capability and treats root as all of them', () => {
    const needs = [
      {
        path: 'sys/plugins/catalog/auth/a',
        capabilities: ['update', 'sudo'],
        why: 'to register v2',
      },
      { path: 'sys/auth/a/tune', capabilities: ['update', 'sudo'], why: 'to tune a to v2' },
      { path: 'sys/plugins/reload/backend', capabilities: ['update'], why: 'to reload' },
    ];
    const granted = new Map([
      ['sys/plugins/catalog/auth/a', ['read']],
      ['sys/auth/a/tune', ['deny']],
      ['sys/plugins/reload/backend', ['root']],
    ]);
    expect(missingCapabilities(needs, granted)).toEqual([
      'the token lacks "update" and "sudo" on sys/plugins/catalog/auth/a (needed to register v2; it has read)',
      'the token lacks "update" and "sudo" on sys/auth/a/tune (needed to tune a to v2; it has none)',
    ]);
  });

  it('tells Vault from OpenBao and Enterprise from community by sys/health', () => {
    // Shapes from Vault's sys/health, sys/leader and sys/ha-status API documentation, and OpenBao 2.7.2 as measured.
    expect(
      describeIdentity(
        identify(
          { version: '1.17.2+ent', enterprise: true, standby: true, performance_standby: true },
          { ha_enabled: true, is_self: false, leader_address: 'https://v1:8200' },
          { data: { nodes: [{}, {}, {}] } },
        ),
      ),
    ).toBe(
      'Vault 1.17.2+ent Enterprise, 3 nodes, answered by a performance standby of https://v1:8200',
    );
    expect(
      describeIdentity(
        identify({ version: '1.17.2', enterprise: false }, { ha_enabled: true, is_self: true }),
      ),
    ).toBe('Vault 1.17.2 community, HA cluster');
    expect(describeIdentity(identify({ version: '2.7.2' }, { ha_enabled: false }))).toBe(
      'OpenBao 2.7.2 community, single node',
    );
  });

  it.each([
    [{ method: 'ldap' }, 'method: "ldap" is not one of token, approle, jwt, kubernetes'],
    [{ method: 'approle', 'role-id': 'r' }, 'secret-id: required with method approle, but empty'],
    [{ method: 'jwt' }, 'role: required with method jwt, but empty'],
    [
      { method: 'jwt', role: 'r', 'auth-path': 'a/../b' },
      'auth-path: "a/../b" is not an auth mount path; use e.g. jwt, github-actions or auth/approle',
    ],
  ])('refuses auth inputs %j with one line', (values, message) => {
    const inputs = {
      get: (n: string) => (values as Record<string, string>)[n] ?? '',
      secret: (n: string) => (values as Record<string, string>)[n] ?? '',
    };
    const ctx = {
      env: {},
      eventName: '',
      eventInputs: {},
      ref: '',
      repository: '',
      apiUrl: '',
      nodePlatform: 'linux',
      nodeArch: 'x64',
      mask: () => undefined,
    };
    expect(() => readAuthConfig(inputs, ctx)).toThrow(message);
  });
});

describe('logins that need no lab server of their own', () => {
  function deps(overrides: Partial<AuthDeps>, masked: string[]): AuthDeps {
    return {
      mask: (v) => masked.push(v),
      getIDToken: () => Promise.reject(new Error('unused')),
      readFile: () => Promise.reject(new Error('unused')),
      env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'http://x', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'y' },
      clock: fastClock([]),
      ...overrides,
    };
  }
  const login = (token: string): Handler => status(200, { auth: { client_token: token } });

  it('retries the GitHub OIDC token request, then logs in with it and masks both tokens', async () => {
    const server = await scripted(login('hvs.issued-token'));
    let calls = 0;
    const masked: string[] = [];
    const session = await authenticate(
      client(server.url),
      { method: 'jwt', mount: 'github-actions', role: 'deployer', audience: 'aud' },
      deps(
        {
          getIDToken: (audience) => {
            calls++;
            return calls < 3
              ? Promise.reject(new Error('503'))
              : Promise.resolve(`jwt-for-${audience ?? ''}`);
          },
        },
        masked,
      ),
    );
    expect(calls).toBe(3);
    expect(session.loggedIn).toBe(true);
    expect(masked).toEqual(['jwt-for-aud', 'hvs.issued-token']);
    expect(server.seen).toEqual(['POST /v1/auth/github-actions/login']);
  });

  it('logs in to Kubernetes auth with the service account token file', async () => {
    let body = '';
    const server = await scripted((_req, res, b) => {
      body = b;
      login('hvs.k8s')(_req, res, b);
    });
    const masked: string[] = [];
    await authenticate(
      client(server.url),
      { method: 'kubernetes', mount: 'k8s', role: 'deployer', tokenFile: '/sa/token' },
      deps({ readFile: (path) => Promise.resolve(path === '/sa/token' ? 'sa-jwt\n' : '') }, masked),
    );
    expect(JSON.parse(body)).toEqual({ role: 'deployer', jwt: 'sa-jwt' });
    expect(server.seen).toEqual(['POST /v1/auth/k8s/login']);
    expect(masked).toEqual(['sa-jwt', 'hvs.k8s']);
  });
});
