import type { MountType } from '../domain/plugin.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

export interface TargetState {
  /** Without trailing slash, and without `auth/` for auth mounts. */
  path: string;
  plugin: string;
  version: string;
  runningVersion: string;
  runningSha256: string;
  /** `false` when the server reports no running version (OpenBao's connections) and the configured one stands in. */
  runningReported?: boolean;
}

interface RawMount {
  type?: string;
  plugin_version?: string;
  running_plugin_version?: string;
  running_sha256?: string;
}

/** One read for the whole table, however many mounts the rollout lists. */
export async function readMountTable(
  client: VaultClient,
  type: MountType,
): Promise<Map<string, TargetState>> {
  const response = await client.read<{ data?: Record<string, RawMount> }>(routes.mountTable(type));
  const table = new Map<string, TargetState>();
  for (const [key, raw] of Object.entries(response?.data ?? {})) {
    const path = key.replace(/\/$/, '');
    table.set(path, {
      path,
      plugin: raw.type ?? '',
      version: raw.plugin_version ?? '',
      runningVersion: raw.running_plugin_version ?? '',
      runningSha256: (raw.running_sha256 ?? '').toLowerCase(),
    });
  }
  return table;
}

export async function tuneMountVersion(
  client: VaultClient,
  type: MountType,
  path: string,
  version: string,
): Promise<void> {
  await client.write(
    'POST',
    routes.tune(type, path),
    { plugin_version: version },
    {
      confirm: async () => {
        const table = await readMountTable(client, type);
        return table.get(path)?.version === version;
      },
    },
  );
}
