import { mountRoute, splitConnection, type MountType, type PluginType } from '../domain/plugin.ts';

/**
 * One path of the Vault API. Each is written here once: the endpoint files
 * send their calls to it and the permission preflight asks about it, so the
 * check cannot drift from the call it guards.
 */
export interface Route {
  /** Relative to `/v1/`. */
  path: string;
  /** Served by the root namespace alone: sent without X-Vault-Namespace. */
  root: boolean;
  /** Root-protected: every call on it needs `sudo` besides its own capability. */
  sudo: boolean;
}

function route(path: string, { root = false, sudo = false } = {}): Route {
  return { path, root, sudo };
}

const ROOT = { root: true };

function mountTable(type: MountType): Route {
  return route(type === 'auth' ? 'sys/auth' : 'sys/mounts');
}

/** `<db-mount>/config`: the connections of one database mount, listed. */
function connections(mount: string): Route {
  return route(`${mount}/config`);
}

export const routes = {
  // The catalog, the pins and the plugin-wide reload exist only in the root namespace.
  catalog: route('sys/plugins/catalog', ROOT),
  catalogEntry: (type: PluginType, name: string): Route =>
    route(`sys/plugins/catalog/${type}/${name}`, { root: true, sudo: true }),
  pin: (type: PluginType, name: string): Route => route(`sys/plugins/pins/${type}/${name}`, ROOT),
  pluginReload: (type: PluginType, name: string): Route =>
    route(`sys/plugins/reload/${type}/${name}`, ROOT),

  // Identity and token calls go to the root namespace too.
  health: route('sys/health', ROOT),
  leader: route('sys/leader', ROOT),
  haStatus: route('sys/ha-status', ROOT),
  capabilitiesSelf: route('sys/capabilities-self', ROOT),
  login: (mount: string): Route => route(`${mountRoute('auth', mount)}/login`, ROOT),
  revokeSelf: route(`${mountRoute('auth', 'token')}/revoke-self`, ROOT),

  /** Database mounts are secrets engines: they sit in the `secret` table. */
  mountTable,
  /** The system backend root-protects `sys/auth/*`. */
  tune: (type: MountType, path: string): Route =>
    route(`${mountTable(type).path}/${path}/tune`, { sudo: type === 'auth' }),
  mountReload: route('sys/plugins/reload/backend'),
  reloadStatus: route('sys/plugins/reload/backend/status'),
  /** A path the plugin itself serves under a mount. */
  probe: (type: PluginType, mount: string, probe: string): Route =>
    route(`${mountRoute(type, mount)}/${probe}`),

  connections,
  /** `<db-mount>/config/<name>`: one database connection's configuration. */
  connection: (path: string): Route => {
    const { mount, name } = splitConnection(path);
    return route(`${connections(mount).path}/${name}`);
  },
  connectionReset: (path: string): Route => {
    const { mount, name } = splitConnection(path);
    return route(`${mount}/reset/${name}`);
  },
  /** Every connection of one plugin under a database mount. */
  connectionsReload: (mount: string, plugin: string): Route => route(`${mount}/reload/${plugin}`),
};
