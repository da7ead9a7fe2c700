import { VerificationError } from '../errors.ts';
import type { VaultClient } from './client.ts';

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
 * Reloads exactly the rolled mounts rather than every mount of the plugin,
 * so mounts the user did not list keep their running processes. Vault warns
 * when the node that answered reloaded nothing; that is a failure, never a
 * silent success.
 */
export async function reloadMounts(
  client: VaultClient,
  mounts: readonly string[],
  scope: 'global' | 'local',
): Promise<ReloadOutcome> {
  const reloadIds: string[] = [];
  for (let i = 0; i < mounts.length; i += MOUNTS_PER_RELOAD) {
    const id = await reloadOnce(client, mounts.slice(i, i + MOUNTS_PER_RELOAD), scope);
    if (id) reloadIds.push(id);
  }
  return { reloadIds };
}

async function reloadOnce(
  client: VaultClient,
  mounts: readonly string[],
  scope: 'global' | 'local',
): Promise<string> {
  const body: Record<string, unknown> = { mounts };
  if (scope === 'global') body.scope = 'global';
  const response = await client.write<ReloadResponse>(
    'PUT',
    'sys/plugins/reload/backend',
    body,
    // A second reload of the same mounts only restarts them again.
    { repeatable: true },
  );
  const warnings = response?.warnings ?? [];
  if (warnings.length > 0) {
    throw new VerificationError(
      `reload of ${mounts.join(', ')} reloaded nothing on the node that answered: ${warnings.join('; ')}`,
    );
  }
  return response?.data?.reload_id ?? '';
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
  const response = await client.read<ReloadStatusResponse>('sys/plugins/reload/backend/status', {
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

/** How many nodes the cluster has, from sys/ha-status (Vault 1.10+); 1 when HA is off. */
export async function countClusterNodes(client: VaultClient): Promise<number> {
  const response = await client.read<{ data?: { nodes?: unknown[] } }>(
    'sys/ha-status',
    {},
    { root: true },
  );
  return Math.max(1, response?.data?.nodes?.length ?? 1);
}
