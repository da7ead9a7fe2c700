import type { PluginType } from '../config.ts';
import type { VaultClient } from './client.ts';

/*
 * Pinned versions exist in Vault 1.16 and later (not in OpenBao, which
 * answers 404 "unsupported path", the same as "no pin"). Shapes follow
 * Vault's API documentation for /sys/plugins/pins/:type/:name:
 *   GET  → { "data": { "name": "github", "type": "auth", "version": "v1.0.0" } }, 404 when none
 *   POST ← { "version": "v1.0.0" }
 */

export async function readPin(
  client: VaultClient,
  type: PluginType,
  name: string,
): Promise<string | null> {
  const response = await client.read<{ data?: { version?: string } }>(
    `sys/plugins/pins/${type}/${name}`,
    {},
    { root: true },
  );
  return response?.data?.version ?? null;
}

export async function writePin(
  client: VaultClient,
  type: PluginType,
  name: string,
  version: string,
): Promise<void> {
  await client.write(
    'POST',
    `sys/plugins/pins/${type}/${name}`,
    { version },
    { root: true, confirm: async () => (await readPin(client, type, name)) === version },
  );
}
