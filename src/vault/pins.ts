import type { PluginType } from '../domain/plugin.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

/*
 * Pinned versions exist in Vault 1.16 and later (not in OpenBao, which
 * answers 404 "unsupported path", the same as "no pin"). Shapes follow
 * Vault's API documentation for /sys/plugins/pins/:type/:name:
 *   GET    → { "data": { "name": "github", "type": "auth", "version": "v1.0.0" } }, 404 when none
 *   POST   ← { "version": "v1.0.0" }
 *   DELETE → 200 or 204, also when there is no pin (measured on Vault 1.21.0)
 */

export async function readPin(
  client: VaultClient,
  type: PluginType,
  name: string,
): Promise<string | null> {
  const response = await client.read<{ data?: { version?: string } }>(routes.pin(type, name));
  return response?.data?.version ?? null;
}

/** Setting the same version again changes nothing, so a lost answer is simply sent again. */
export async function writePin(
  client: VaultClient,
  type: PluginType,
  name: string,
  version: string,
): Promise<void> {
  await client.write('POST', routes.pin(type, name), { version }, { repeatable: true });
}

/** Removes the pin; removing one that is gone already answers the same. */
export async function deletePin(
  client: VaultClient,
  type: PluginType,
  name: string,
): Promise<void> {
  await client.write('DELETE', routes.pin(type, name), undefined, { repeatable: true });
}
