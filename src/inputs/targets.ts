/** Which mounts or database connections the run moves, and the lists that pick among them. */
import { ConfigError } from '../domain/errors.ts';
import { withoutAuthPrefix, type PluginType } from '../domain/plugin.ts';
import { isSafePath, lineList, serverPath } from './parse.ts';
import type { InputSource } from './source.ts';

/** One mount a line, `#` comments allowed, as `secrets list` and `auth list` print them. */
export function pathList(
  name: string,
  raw: string,
  pluginType: PluginType,
  required: boolean,
): string[] {
  const mounts: string[] = [];
  for (const text of lineList(raw)) {
    let path = serverPath(text);
    if (pluginType === 'auth') path = withoutAuthPrefix(path);
    if (!path || !isSafePath(path)) {
      throw new ConfigError(
        `${name}: "${text}" is not a mount path; use paths like acme or team-a/acme, one a line`,
      );
    }
    if (mounts.includes(path)) throw new ConfigError(`${name}: "${text}" is listed twice`);
    mounts.push(path);
  }
  if (required && mounts.length === 0) {
    throw new ConfigError(
      `${name}: required, but lists no mount (write all to roll every mount of the plugin)`,
    );
  }
  return mounts;
}

/**
 * Mounts for secret and auth plugins, `<db-mount>/<connection>` for database
 * plugins; `all` for every one of the plugin's, less those `exclude` names.
 */
export function targetList(
  inputs: InputSource,
  pluginType: PluginType,
  exclude: readonly string[],
): string[] | 'all' {
  const [used, unused] =
    pluginType === 'database' ? ['connections', 'mounts'] : ['mounts', 'connections'];
  if (inputs.get(unused)) {
    throw new ConfigError(
      `${unused}: not used with plugin-type ${pluginType}; list what to move in ${used}`,
    );
  }
  const raw = inputs.get(used);
  if (raw.trim() === 'all') return 'all';
  const paths = pathList(used, raw, pluginType, true);
  const bare = paths.find((path) => pluginType === 'database' && !path.includes('/'));
  if (bare) {
    throw new ConfigError(
      `connections: "${bare}" is not <db-mount>/<connection>, such as database/orders`,
    );
  }
  if (exclude.length > 0) {
    throw new ConfigError(
      `exclude: "${exclude.join(', ')}" only applies with ${used}: all; remove it or leave those out of the list`,
    );
  }
  return paths;
}
