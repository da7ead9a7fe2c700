import type { PluginType } from '../domain/plugin.ts';
import { forEachLimited } from '../domain/concurrency.ts';
import type { VaultClient } from './client.ts';
import {
  discoverConnections,
  readConnection,
  writeConnectionVersion,
} from './database-connections.ts';
import { readMountTable, tuneMountVersion, type TargetState } from './mounts.ts';

/**
 * What a rollout moves — mounts for secret and auth plugins, connections for
 * database plugins — read into one shape so planning and verification need
 * not care which.
 */
export async function readTargets(
  client: VaultClient,
  type: PluginType,
  wanted: readonly string[] | 'all',
): Promise<Map<string, TargetState>> {
  if (type !== 'database') return readMountTable(client, type);
  const paths = wanted === 'all' ? await discoverConnections(client) : wanted;
  const table = new Map<string, TargetState>();
  await forEachLimited(paths, 8, async (path) => {
    const state = await readConnection(client, path);
    if (state) table.set(path, state);
  });
  return table;
}

export async function moveTarget(
  client: VaultClient,
  type: PluginType,
  plugin: string,
  path: string,
  version: string,
): Promise<void> {
  if (type === 'database') await writeConnectionVersion(client, path, plugin, version);
  else await tuneMountVersion(client, type, path, version);
}

/** Only mounts run a backend to reload; a connection restarts when it is written. */
export function needsReload(type: PluginType): boolean {
  return type !== 'database';
}
