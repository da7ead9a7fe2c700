// A fake Vault whose every answer the test writes: a compromised server.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileMount {
  /** The mount's path as the server lists it, without the trailing slash. */
  path: string;
  pluginVersion: string;
}

export interface HostileCatalogEntry {
  version: string;
  sha256: string;
  command: string;
}

export interface HostileVaultOptions {
  /** What `sys/health` answers as the server's version. */
  version: string;
  /** The plugin every listed mount runs, as its `type`. */
  plugin: string;
  mounts: HostileMount[];
  /** Catalog entries of secret plugin `plugin` the server already holds. */
  catalog?: HostileCatalogEntry[];
  /** What a reload answers as its `reload_id`. */
  reloadId: string;
  /** When set, every reload is refused with a 400 carrying these `errors`. */
  reloadErrors?: string[];
}

export interface HostileVault {
  address: string;
  /** Every request as `METHOD /v1/path`, in order. */
  requests: string[];
  close(): Promise<void>;
}

interface MountRecord {
  path: string;
  pluginVersion: string;
  runningVersion: string;
  runningSha256: string;
}

/**
 * A loopback server that speaks just enough of Vault's HTTP API for a
 * secret-plugin rollout to run to its end — health, leader, capabilities,
 * the mount table, the catalog, tune and reload — while every string it
 * sends back is chosen by the test. It stands in for a compromised or
 * malicious server, which no real server can be made into.
 */
export async function startHostileVault(options: HostileVaultOptions): Promise<HostileVault> {
  const requests: string[] = [];
  const catalog = new Map((options.catalog ?? []).map((e) => [e.version, { ...e }]));
  const mounts: MountRecord[] = options.mounts.map((m) => ({
    path: m.path,
    pluginVersion: m.pluginVersion,
    runningVersion: m.pluginVersion,
    runningSha256: 'f'.repeat(64),
  }));
  const catalogPath = `/v1/sys/plugins/catalog/secret/${options.plugin}`;
  // A URL cannot carry tab, CR or LF (the client's URL parser drops them), so
  // a tune names the mount without them.
  const byUrlPath = (path: string): MountRecord | undefined =>
    mounts.find((m) => m.path.replace(/[\t\n\r]/g, '') === path);

  const answer = (method: string, url: URL, body: Record<string, unknown>): Reply => {
    const path = decodeURIComponent(url.pathname);
    if (method === 'GET' && path === '/v1/sys/health') {
      return reply(200, {
        initialized: true,
        sealed: false,
        standby: false,
        version: options.version,
      });
    }
    if (method === 'GET' && path === '/v1/sys/leader') {
      return reply(200, { ha_enabled: false, is_self: false, leader_address: '' });
    }
    if (method === 'POST' && path === '/v1/sys/capabilities-self') {
      const paths = Array.isArray(body.paths) ? body.paths.map(String) : [];
      return reply(200, { data: Object.fromEntries(paths.map((p) => [p, ['root']])) });
    }
    if (method === 'GET' && path === '/v1/sys/mounts') {
      const data: Record<string, unknown> = {
        'secret/': { type: 'kv', plugin_version: '', running_plugin_version: 'v0.0.0+builtin' },
      };
      for (const m of mounts) {
        data[`${m.path}/`] = {
          type: options.plugin,
          plugin_version: m.pluginVersion,
          running_plugin_version: m.runningVersion,
          running_sha256: m.runningSha256,
        };
      }
      return reply(200, { data });
    }
    if (path === catalogPath && method === 'GET') {
      const entry = catalog.get(url.searchParams.get('version') ?? '');
      if (!entry) return reply(404, { errors: [] });
      return reply(200, { data: { name: options.plugin, builtin: false, ...entry } });
    }
    if (path === catalogPath && method === 'PUT') {
      const version = text(body.version);
      catalog.set(version, { version, sha256: text(body.sha256), command: text(body.command) });
      return reply(204);
    }
    const tune = /^\/v1\/sys\/mounts\/(.+)\/tune$/.exec(path);
    const tuned = tune ? byUrlPath(tune[1] ?? '') : undefined;
    if (method === 'POST' && tuned) {
      tuned.pluginVersion = text(body.plugin_version);
      return reply(204);
    }
    if (method === 'PUT' && path === '/v1/sys/plugins/reload/backend') {
      if (options.reloadErrors) return reply(400, { errors: options.reloadErrors });
      const names = Array.isArray(body.mounts) ? body.mounts.map(String) : [];
      for (const m of mounts.filter((m) => names.includes(m.path))) {
        m.runningVersion = m.pluginVersion;
        m.runningSha256 = catalog.get(m.pluginVersion)?.sha256 ?? m.runningSha256;
      }
      return reply(200, { data: { reload_id: options.reloadId } });
    }
    return reply(404, { errors: [`the hostile lab server has no ${method} ${path}`] });
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://hostile.invalid');
    requests.push(`${method} ${decodeURIComponent(url.pathname)}`);
    readJson(req)
      .then((body) => answer(method, url, body))
      .catch(() => reply(500, { errors: ['the hostile lab server failed'] }))
      .then(
        (r) => {
          res.writeHead(
            r.status,
            r.body === undefined ? {} : { 'content-type': 'application/json' },
          );
          res.end(r.body === undefined ? undefined : JSON.stringify(r.body));
        },
        () => res.destroy(),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req as AsyncIterable<Buffer>) text += chunk.toString();
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}

interface Reply {
  status: number;
  body?: unknown;
}

function reply(status: number, body?: unknown): Reply {
  return body === undefined ? { status } : { status, body };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
