import type { PluginType } from '../domain/plugin.ts';
import { VaultError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

/** Builtin versions carry `+builtin` metadata: `v0.25.0+builtin`, `v1.21.0+builtin.vault`, `v2.7.2+builtin.bao`. */
export function isBuiltinVersion(version: string): boolean {
  return /\+builtin(\.|$)/.test(version);
}

export interface CatalogEntry {
  name: string;
  version: string;
  sha256: string;
  command: string;
  builtin: boolean;
}

interface CatalogResponse {
  data: { name: string; version?: string; sha256?: string; command?: string; builtin?: boolean };
}

export async function readCatalogEntry(
  client: VaultClient,
  type: PluginType,
  name: string,
  version: string,
): Promise<CatalogEntry | null> {
  const response = await client.read<CatalogResponse>(routes.catalogEntry(type, name), {
    version,
  });
  if (!response) return null;
  const data = response.data;
  return {
    name: data.name,
    version: data.version ?? '',
    sha256: (data.sha256 ?? '').toLowerCase(),
    command: data.command ?? '',
    builtin: data.builtin ?? false,
  };
}

export async function registerPlugin(
  client: VaultClient,
  entry: { type: PluginType; name: string; version: string; sha256: string; command: string },
): Promise<void> {
  await client.write(
    'PUT',
    routes.catalogEntry(entry.type, entry.name),
    { sha256: entry.sha256, command: entry.command, version: entry.version },
    {
      settled: (errors) => errors.some(namesMissingCommand),
      confirm: async () => {
        const stored = await readCatalogEntry(client, entry.type, entry.name, entry.version);
        return stored?.sha256 === entry.sha256 && stored.command === entry.command;
      },
    },
  );
}

/**
 * The server checks the command against its plugin directory on register and
 * answers 500 when no such file is there (OpenBao and Vault alike): only
 * placing the file changes that answer.
 */
function namesMissingCommand(error: string): boolean {
  return /error while validating the command path: .*no such file or directory/i.test(error);
}

/** Whether a failed register says the command's file is not in the server's plugin directory. */
export function isMissingCommand(error: unknown): boolean {
  return error instanceof VaultError && error.serverErrors.some(namesMissingCommand);
}

export interface CatalogVersion {
  version: string;
  builtin: boolean;
}

/** Every version of one plugin in the catalog, builtin included, from the detailed listing. */
export async function listCatalogVersions(
  client: VaultClient,
  type: PluginType,
  name: string,
): Promise<CatalogVersion[]> {
  const response = await client.read<{
    data?: { detailed?: { type?: string; name?: string; version?: string; builtin?: boolean }[] };
  }>(routes.catalog);
  return (response?.data?.detailed ?? [])
    .filter((p) => p.type === type && p.name === name)
    .map((p) => ({ version: p.version ?? '', builtin: p.builtin ?? false }));
}

export async function deregisterVersion(
  client: VaultClient,
  type: PluginType,
  name: string,
  version: string,
): Promise<void> {
  const entry = routes.catalogEntry(type, name);
  await client.write(
    'DELETE',
    { ...entry, path: `${entry.path}?version=${encodeURIComponent(version)}` },
    undefined,
    {
      settled: (errors) => errors.some(namesMissingCommand),
      confirm: async () => (await readCatalogEntry(client, type, name, version)) === null,
    },
  );
}
