/** The kinds of plugin the catalog holds. */
export type PluginType = 'secret' | 'auth' | 'database';
/** Plugin types whose instances are mounts; database plugins run as connections. */
export type MountType = Exclude<PluginType, 'database'>;

// A target is what a rollout moves: a mount of a secret or auth plugin, named
// by its path without `auth/` (`acme`, `team-a/acme`), or a database
// connection, named `<db-mount>/<connection>`.

/** Where a mount sits in the API: auth mounts under `auth/`, others at their path. */
export function mountRoute(type: PluginType, path: string): string {
  return type === 'auth' ? `auth/${path}` : path;
}

/** A mount path as a user may write it for an auth plugin, `auth/approle` or `approle`, without the prefix. */
export function withoutAuthPrefix(path: string): string {
  return path.replace(/^auth\//, '');
}

/** The input that lists what a plugin type moves. */
export function listInput(type: PluginType): 'mounts' | 'connections' {
  return type === 'database' ? 'connections' : 'mounts';
}

/** A target as the server's CLI names it: `acme/`, `auth/acme-login`, `database/orders`. */
export function describeTarget(type: PluginType, path: string): string {
  if (type === 'database') return path;
  return type === 'auth' ? mountRoute(type, path) : `${path}/`;
}

/** A connection target, `team-a/database/orders`: mount `team-a/database`, connection `orders`. */
export function splitConnection(path: string): { mount: string; name: string } {
  const cut = path.lastIndexOf('/');
  return { mount: path.slice(0, cut), name: path.slice(cut + 1) };
}
