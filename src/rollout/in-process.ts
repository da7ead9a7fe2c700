import type { PluginType } from '../domain/plugin.ts';

/**
 * Plugins the server runs in process from its own code whatever the catalog
 * holds: Vault 1.21.0's core backends (kv, cubbyhole, system, identity, the
 * database engine itself; token for auth), whose enable handler refuses a
 * non-builtin version. Measured for kv on Vault 1.21.0 and OpenBao 2.7.2: a
 * kv mount tuned to a registered build keeps serving kv, no plugin process is
 * started, and running_sha256 stays empty (Vault even reports the tuned
 * version as running).
 */
const IN_PROCESS: Record<PluginType, readonly string[]> = {
  secret: ['kv', 'generic', 'cubbyhole', 'system', 'identity', 'database'],
  auth: ['token'],
  database: [],
};

/** Whether a build registered under this name would never be started by the server. */
export function servedInProcess(type: PluginType, name: string): boolean {
  return IN_PROCESS[type].includes(name);
}
