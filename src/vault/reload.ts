import { splitConnection, type PluginType } from '../domain/plugin.ts';
import { VerificationError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes, type Route } from './routes.ts';

/**
 * How a set of mounts or connections is restarted so it runs what it is
 * configured (or pinned) for:
 * - `mounts`: `sys/plugins/reload/backend` with the listed mounts — exactly
 *   those, in the request's namespace;
 * - `plugin`: `sys/plugins/reload/<type>/<name>` (Vault 1.16+) — every mount
 *   of the plugin in every namespace, in one call;
 * - `connection`: `<db-mount>/reset/<name>` — one database connection;
 * - `connections`: `<db-mount>/reload/<plugin>` (Vault) — every connection
 *   of the plugin under one database mount.
 */
export type Restart =
  | { kind: 'mounts'; paths: string[] }
  | { kind: 'plugin'; paths: string[] }
  | { kind: 'connection'; path: string }
  | { kind: 'connections'; mount: string; paths: string[] };

export interface ReloadOutcome {
  reloadIds: string[];
}

/**
 * The server restarts the mounts of one reload call one after another (about
 * 0.2 s each for the lab's plugin on OpenBao 2.7.2), so a call for hundreds
 * of mounts outlasts any sane per-attempt timeout, and a retry would restart
 * them all again. Bounded calls keep each one short.
 */
const MOUNTS_PER_RELOAD = 25;

interface ReloadResponse {
  data?: { reload_id?: string };
  warnings?: string[] | null;
}

/**
 * Reloads exactly the listed mounts, in the request's namespace, so mounts
 * the user did not list keep their running processes. Vault warns when the
 * node that answered reloaded nothing; that is a failure, never a silent
 * success.
 */
export async function reloadMounts(
  client: VaultClient,
  mounts: readonly string[],
  scope: 'global' | 'local',
): Promise<ReloadOutcome> {
  const reloadIds: string[] = [];
  for (let i = 0; i < mounts.length; i += MOUNTS_PER_RELOAD) {
    const batch = mounts.slice(i, i + MOUNTS_PER_RELOAD);
    const id = await reloadOnce(client, scope, {
      method: 'PUT',
      route: routes.mountReload,
      body: { mounts: batch },
      subject: batch.join(', '),
    });
    if (id) reloadIds.push(id);
  }
  return { reloadIds };
}

/**
 * Vault 1.16+: reloads every mount of the plugin, in every namespace, with
 * one call from the root namespace (answered 200, or 202 with `scope:
 * global`, with a `reload_id` either way; measured on Vault 1.21.0).
 */
export async function reloadPlugin(
  client: VaultClient,
  type: PluginType,
  name: string,
  scope: 'global' | 'local',
): Promise<ReloadOutcome> {
  const id = await reloadOnce(client, scope, {
    method: 'POST',
    route: routes.pluginReload(type, name),
    body: {},
    subject: `every mount of ${type} plugin ${name}`,
  });
  return { reloadIds: id ? [id] : [] };
}

/** Whether one reload call may carry this many mounts and still stay short. */
export function fitsOneReload(mounts: number): boolean {
  return mounts <= MOUNTS_PER_RELOAD;
}

interface ReloadCall {
  method: 'PUT' | 'POST';
  route: Route;
  body: Record<string, unknown>;
  /** What the call reloads, for the error. */
  subject: string;
}

async function reloadOnce(
  client: VaultClient,
  scope: 'global' | 'local',
  call: ReloadCall,
): Promise<string> {
  const body = scope === 'global' ? { ...call.body, scope: 'global' } : call.body;
  const response = await client.write<ReloadResponse>(
    call.method,
    call.route,
    body,
    // A second reload of the same mounts only restarts them again.
    { repeatable: true },
  );
  const warnings = response?.warnings ?? [];
  if (warnings.length > 0) {
    throw new VerificationError(
      `reload of ${call.subject} reloaded nothing on the node that answered: ${warnings.join('; ')}`,
    );
  }
  return response?.data?.reload_id ?? '';
}

/**
 * Restarts one database connection with the version its configuration (or
 * a pin) names, leaving the configuration as it is: `<db-mount>/reset/<name>`,
 * on Vault and OpenBao alike.
 */
export async function resetConnection(client: VaultClient, path: string): Promise<void> {
  await client.write('POST', routes.connectionReset(path), {}, { repeatable: true });
}

/**
 * Restarts every connection of a plugin under one database mount with one
 * call (Vault; OpenBao 2.7.2 has no such path). The server only logs a
 * connection that failed to restart and leaves it out of `connections`, so
 * the answer is checked for each expected one.
 */
export async function reloadConnections(
  client: VaultClient,
  mount: string,
  plugin: string,
  expected: readonly string[],
): Promise<void> {
  const response = await client.write<{ data?: { connections?: string[] } }>(
    'POST',
    routes.connectionsReload(mount, plugin),
    {},
    { repeatable: true },
  );
  const restarted = new Set(response?.data?.connections ?? []);
  const missing = expected.filter((path) => !restarted.has(splitConnection(path).name));
  if (missing.length > 0) {
    throw new VerificationError(
      `reload of plugin ${plugin} under ${mount}/ did not restart ${missing.join(', ')}; the server log has the reason`,
    );
  }
}

/*
 * Vault Enterprise answers a global reload at once (202) and carries it to
 * the other nodes in the background; GET sys/plugins/reload/backend/status
 * reports each node as it finishes. Shape, from Vault's Go API client
 * (ReloadStatusResponse):
 *   { "data": { "reload_id": "…", "results": { "<node>": { "timestamp": "…", "error": "" } } } }
 */
interface ReloadStatusResponse {
  data?: { results?: Record<string, { timestamp?: string; error?: string } | null> | null };
}

export interface NodeReload {
  node: string;
  error: string;
}

export async function readReloadStatus(
  client: VaultClient,
  reloadId: string,
): Promise<NodeReload[]> {
  const response = await client.read<ReloadStatusResponse>(routes.reloadStatus, {
    reload_id: reloadId,
  });
  return Object.entries(response?.data?.results ?? {}).map(([node, result]) => ({
    node,
    error: result?.error ?? '',
  }));
}

export interface ReloadWait {
  client: VaultClient;
  reloadId: string;
  /** Nodes the cluster has; the wait ends when this many have reported. */
  nodes: number;
  timeoutSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/** Follows a global reload until every node reported, failing on any node's error or on time. */
export async function waitForGlobalReload(wait: ReloadWait): Promise<NodeReload[]> {
  const deadline = wait.now() + wait.timeoutSeconds * 1000;
  let pause = 250;
  for (;;) {
    const reports = await readReloadStatus(wait.client, wait.reloadId);
    const failed = reports.filter((r) => r.error);
    if (failed.length > 0) {
      throw new VerificationError(
        `reload ${wait.reloadId} failed on ${failed.map((r) => `${r.node}: ${r.error}`).join('; ')}`,
      );
    }
    if (reports.length >= wait.nodes) return reports;
    if (wait.now() + pause > deadline) {
      const seen = reports.map((r) => r.node).join(', ') || 'none';
      throw new VerificationError(
        `reload ${wait.reloadId}: ${reports.length} of ${wait.nodes} nodes reported within ${wait.timeoutSeconds}s (reported: ${seen})`,
      );
    }
    await wait.sleep(pause);
    pause = Math.min(pause * 2, 4000);
  }
}
