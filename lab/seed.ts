// Puts plugins and mounts on a lab server as an operator would, and reads them back.
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from '../src/artifact/hash.ts';
import { fixtureBinary, type FixtureFlavor, type FixtureKind } from './paths.ts';
import type { LabServer } from './server.ts';

export type CatalogType = 'secret' | 'auth' | 'database';

/**
 * A server to seed: which server it is (for the fixture built on its SDK), the
 * API to write through and every plugin directory the binary must be in.
 */
export type SeedTarget = Pick<LabServer, 'kind' | 'api'> &
  ({ pluginDir: string } | { pluginDirs: string[] });

export interface Installed {
  command: string;
  sha256: string;
}

/** Puts the server's build of a fixture in every plugin directory of the target and registers it, as an operator would. */
export async function installPlugin(
  server: SeedTarget,
  type: CatalogType,
  name: string,
  kind: FixtureKind,
  version: string,
  flavor: FixtureFlavor = '',
): Promise<Installed> {
  const command = `${name}-${version}`;
  const binary = fixtureBinary(server.kind, kind, version, flavor);
  const dirs = 'pluginDirs' in server ? server.pluginDirs : [server.pluginDir];
  await Promise.all(dirs.map((dir) => copyFile(binary, join(dir, command))));
  const sha256 = await sha256File(binary);
  await server.api('PUT', `sys/plugins/catalog/${type}/${name}`, { sha256, command, version });
  return { command, sha256 };
}

/**
 * Mounts a plugin at a version. OpenBao ignores a top-level `plugin_version`
 * on enable and picks the newest registered version; both servers honour the
 * one in `config`.
 */
export async function enableMount(
  server: Pick<LabServer, 'api'>,
  type: CatalogType,
  path: string,
  plugin: string,
  version: string,
): Promise<void> {
  const table = type === 'auth' ? 'sys/auth' : 'sys/mounts';
  await server.api('POST', `${table}/${path}`, {
    type: plugin,
    config: { plugin_version: version },
  });
}

/** A database connection of the given plugin version; the lab plugin keeps its users in memory. */
export async function createConnection(
  server: LabServer,
  path: string,
  plugin: string,
  version: string,
): Promise<void> {
  const cut = path.lastIndexOf('/');
  await server.api('POST', `${path.slice(0, cut)}/config/${path.slice(cut + 1)}`, {
    plugin_name: plugin,
    plugin_version: version,
    connection_url: 'memory',
    allowed_roles: '*',
  });
}

export async function liveConnection(
  server: LabServer,
  path: string,
): Promise<{ plugin: string; version: string; connectionUrl: string }> {
  const cut = path.lastIndexOf('/');
  const raw = await server.api<{ data: Record<string, unknown> }>(
    'GET',
    `${path.slice(0, cut)}/config/${path.slice(cut + 1)}`,
  );
  if (!raw) throw new Error(`connection ${path} does not exist`);
  const details = raw.data.connection_details as { connection_url?: string } | undefined;
  return {
    plugin: String(raw.data.plugin_name),
    version: String(raw.data.plugin_version),
    connectionUrl: details?.connection_url ?? '',
  };
}

export interface LiveMount {
  plugin: string;
  version: string;
  runningVersion: string;
  runningSha256: string;
}

/** What the server says a mount is configured for and runs, read independently of the action's code. */
export async function liveMount(
  server: Pick<LabServer, 'api'>,
  type: CatalogType,
  path: string,
): Promise<LiveMount> {
  const table = type === 'auth' ? 'sys/auth' : 'sys/mounts';
  const raw = await server.api<Record<string, string>>('GET', `${table}/${path}`);
  if (!raw) throw new Error(`${table}/${path} does not exist`);
  return {
    plugin: raw.type ?? '',
    version: raw.plugin_version ?? '',
    runningVersion: raw.running_plugin_version ?? '',
    runningSha256: raw.running_sha256 ?? '',
  };
}

export async function catalogEntry(
  server: Pick<LabServer, 'api'>,
  type: CatalogType,
  name: string,
  version: string,
): Promise<{ sha256: string; command: string } | null> {
  const response = await server.api<{ data: { sha256: string; command: string } }>(
    'GET',
    `sys/plugins/catalog/${type}/${name}?version=${version}`,
  );
  return response ? response.data : null;
}
