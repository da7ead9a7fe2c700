import { VaultError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';
import type { TargetState } from './mounts.ts';

interface ConnectionResponse {
  data?: { plugin_name?: string; plugin_version?: string; running_plugin_version?: string };
}

/**
 * The server restarts a connection when its config is written and reports no
 * running hash for it. Vault also reports the version the connection runs
 * (which a pin may make differ from the configured one); OpenBao 2.7.2 does
 * not, and there the configured version stands in for it.
 */
export async function readConnection(
  client: VaultClient,
  path: string,
): Promise<TargetState | null> {
  let response: ConnectionResponse | null;
  try {
    response = await client.read<ConnectionResponse>(routes.connection(path));
  } catch (error) {
    // A path that is not a database mount has no such route: the connection does not exist.
    if (error instanceof VaultError && (error.status === 400 || error.status === 405)) return null;
    throw error;
  }
  if (!response) return null;
  const version = response.data?.plugin_version ?? '';
  const running = response.data?.running_plugin_version;
  return {
    path,
    plugin: response.data?.plugin_name ?? '',
    version,
    runningVersion: running ?? version,
    runningSha256: '',
    runningReported: running !== undefined,
  };
}

/** Every connection of every database mount in the namespace. */
export async function discoverConnections(client: VaultClient): Promise<string[]> {
  const mounts = await client.read<{ data?: Record<string, { type?: string }> }>(
    routes.mountTable('secret'),
  );
  const paths: string[] = [];
  for (const [key, mount] of Object.entries(mounts?.data ?? {})) {
    if (mount.type !== 'database') continue;
    const prefix = key.replace(/\/$/, '');
    const list = await client.read<{ data?: { keys?: string[] } }>(routes.connections(prefix), {
      list: 'true',
    });
    for (const name of list?.data?.keys ?? []) paths.push(`${prefix}/${name}`);
  }
  return paths;
}

/** Moves a connection by rewriting its plugin; the server keeps every other field and restarts it. */
export async function writeConnectionVersion(
  client: VaultClient,
  path: string,
  plugin: string,
  version: string,
): Promise<void> {
  await client.write('POST', routes.connection(path), {
    plugin_name: plugin,
    plugin_version: version,
  });
}
