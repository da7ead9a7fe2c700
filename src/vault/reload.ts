import type { VaultClient } from './client.ts';

export interface ReloadOutcome {
  reloadId: string;
}

/**
 * Reloads exactly the rolled mounts rather than every mount of the plugin,
 * so mounts the user did not list keep their running processes.
 */
export async function reloadMounts(
  client: VaultClient,
  mounts: readonly string[],
  scope: 'global' | 'local',
): Promise<ReloadOutcome> {
  const body: Record<string, unknown> = { mounts };
  if (scope === 'global') body.scope = 'global';
  const response = await client.write<{ data?: { reload_id?: string } }>(
    'PUT',
    'sys/plugins/reload/backend',
    body,
    // A second reload of the same mounts only restarts them again.
    { repeatable: true },
  );
  return { reloadId: response?.data?.reload_id ?? '' };
}
