import type { PluginType } from '../inputs/config.ts';

/** The input that lists what a plugin type moves. */
export function listInput(type: PluginType): 'mounts' | 'connections' {
  return type === 'database' ? 'connections' : 'mounts';
}

/** A target as the server's CLI names it: `acme/`, `auth/acme-login`, `database/orders`. */
export function describeMount(type: PluginType, path: string): string {
  if (type === 'database') return path;
  return type === 'auth' ? `auth/${path}` : `${path}/`;
}
