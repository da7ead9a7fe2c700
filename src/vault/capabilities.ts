import type { PluginType } from '../domain/plugin.ts';
import { PreflightError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import type { Restart } from './reload.ts';
import { routes, type Route } from './routes.ts';

/** A capability the rollout needs on a path, and what for, so a refusal can say both. */
export interface Requirement {
  path: string;
  capabilities: string[];
  why: string;
}

export type Granted = ReadonlyMap<string, readonly string[]>;

/** What a call does to its route, as a policy names it. */
type Operation = 'read' | 'update' | 'delete';

/**
 * A route as sys/capabilities-self is asked about it. That call goes to the
 * root namespace, so one root token's policy answers for every path: a
 * route of the request's namespace is prefixed with the namespace.
 */
function askedPath(route: Route, namespace: string): string {
  return route.root || !namespace ? route.path : `${namespace}/${route.path}`;
}

type Need = (route: Route, operations: Operation[], why: string) => Requirement;

/** The requirements of calls made in one namespace, each on its route and with its `sudo`. */
function requirer(namespace: string): Need {
  return (route, operations, why) => ({
    path: askedPath(route, namespace),
    capabilities: route.sudo ? [...operations, 'sudo'] : operations,
    why,
  });
}

export interface ReadScope {
  type: PluginType;
  name: string;
  namespace: string;
  targets: readonly string[] | 'all';
  /** Pins exist only on Vault. */
  pins: boolean;
  /** Pruning and reverting list the whole catalog. */
  listsCatalog: boolean;
}

/** What the preflight reads need. */
export function readRequirements(scope: ReadScope): Requirement[] {
  const { type, name } = scope;
  const need = requirer(scope.namespace);
  const needs = [need(routes.catalogEntry(type, name), ['read'], 'to read the catalog entry')];
  if (type !== 'database') {
    needs.push(need(routes.mountTable(type), ['read'], 'to read the mounts'));
  } else if (scope.targets === 'all') {
    needs.push(need(routes.mountTable('secret'), ['read'], 'to find the database mounts'));
  } else {
    for (const target of scope.targets) {
      needs.push(need(routes.connection(target), ['read'], `to read connection ${target}`));
    }
  }
  if (scope.pins) needs.push(need(routes.pin(type, name), ['read'], 'to read its pin'));
  if (scope.listsCatalog) {
    needs.push(need(routes.catalog, ['read'], 'to list the catalog versions'));
  }
  return needs;
}

/** The writes a rollout and its rollback may send, as the permission check sees them. */
export interface Writes {
  type: PluginType;
  name: string;
  namespace: string;
  /** The version registered and moved to. */
  version: string;
  register: boolean;
  /** The version the pin moves to, `''` when it is removed; `null` when the pin is left alone. */
  pin: string | null;
  /** Versions deregistered after success. */
  prune: readonly string[];
  /** Targets whose configured version is written. */
  tunes: readonly string[];
  restarts: readonly Restart[];
  /** The path read under each target to prove it answers, and the targets it is read under. */
  probe: string;
  probed: readonly string[];
}

/** What the writes need. */
export function writeRequirements(writes: Writes): Requirement[] {
  const { type, name, version } = writes;
  const need = requirer(writes.namespace);
  const entry = routes.catalogEntry(type, name);
  const needs: Requirement[] = [];
  if (writes.register) needs.push(need(entry, ['update'], `to register ${version}`));
  if (writes.pin !== null) {
    needs.push(
      // The pin is lifted for every tune, and on rollback.
      need(
        routes.pin(type, name),
        ['update', 'delete'],
        writes.pin ? `to move its pin to ${writes.pin}` : 'to remove its pin',
      ),
    );
  }
  if (writes.prune.length > 0) {
    needs.push(need(entry, ['delete'], `to deregister ${writes.prune.join(', ')}`));
  }
  for (const target of writes.tunes) {
    needs.push(
      type === 'database'
        ? need(routes.connection(target), ['update'], `to move connection ${target} to ${version}`)
        : need(routes.tune(type, target), ['update'], `to tune ${target} to ${version}`),
    );
  }
  for (const restart of writes.restarts) needs.push(restartNeed(need, type, name, restart));
  for (const target of writes.probed) {
    needs.push(need(routes.probe(type, target, writes.probe), ['read'], `to probe ${target}`));
  }
  return needs;
}

function restartNeed(need: Need, type: PluginType, name: string, restart: Restart): Requirement {
  switch (restart.kind) {
    case 'mounts':
      return need(routes.mountReload, ['update'], 'to reload the mounts');
    case 'plugin':
      return need(
        routes.pluginReload(type, name),
        ['update'],
        'to reload every mount of the plugin',
      );
    case 'connection':
      return need(
        routes.connectionReset(restart.path),
        ['update'],
        `to restart connection ${restart.path}`,
      );
    case 'connections':
      return need(
        routes.connectionsReload(restart.mount, name),
        ['update'],
        `to restart the connections under ${restart.mount}`,
      );
  }
}

/**
 * The paths the writes of a rollout of these listed mounts will most likely
 * need, beyond those the reads already ask about (the catalog, the pin and a
 * database's connections are the same paths): asked together with the reads,
 * one call answers for both. Mounts found on the server (`all`) are asked
 * once the plan knows them.
 */
export function likelyWritePaths(scope: ReadScope, probe: string): string[] {
  const { type, namespace, targets } = scope;
  if (type === 'database' || targets === 'all') return [];
  return [
    routes.mountReload,
    ...targets.flatMap((path) => [
      routes.tune(type, path),
      ...(probe ? [routes.probe(type, path, probe)] : []),
    ]),
  ].map((route) => askedPath(route, namespace));
}

/** Every missing capability, one phrase per path; empty when the token may do all of it. */
export function missingCapabilities(needs: readonly Requirement[], granted: Granted): string[] {
  const problems: string[] = [];
  for (const need of needs) {
    const has = granted.get(need.path) ?? [];
    if (has.includes('root')) continue;
    const lacking = need.capabilities.filter((c) => !has.includes(c));
    if (lacking.length === 0) continue;
    const held = has.filter((c) => c !== 'deny');
    problems.push(
      `the token lacks ${lacking.map((c) => `"${c}"`).join(' and ')} on ${need.path} (needed ${need.why}; it has ${held.length > 0 ? held.join(', ') : 'none'})`,
    );
  }
  return problems;
}

export async function fetchCapabilities(
  client: VaultClient,
  paths: readonly string[],
): Promise<Granted> {
  const unique = [...new Set(paths)];
  const response = await client.write<{ data?: Record<string, unknown> }>(
    'POST',
    routes.capabilitiesSelf,
    { paths: unique },
    // Asks, changes nothing: safe to repeat.
    { repeatable: true },
  );
  const granted = new Map<string, string[]>();
  for (const path of unique) {
    const value = response?.data?.[path];
    granted.set(path, Array.isArray(value) ? value.map(String) : []);
  }
  return granted;
}

/**
 * Refuses, before any write, naming each capability on each path the token
 * lacks. Paths already in `asked` are not asked again; `alsoAsk` adds paths
 * to the same call for a later check. Returns everything asked so far.
 */
export async function requireCapabilities(
  client: VaultClient,
  needs: readonly Requirement[],
  asked: Granted = new Map(),
  alsoAsk: readonly string[] = [],
): Promise<Granted> {
  const unasked = [...needs.map((n) => n.path), ...alsoAsk].filter((path) => !asked.has(path));
  const granted =
    unasked.length > 0 ? new Map([...asked, ...(await fetchCapabilities(client, unasked))]) : asked;
  const problems = missingCapabilities(needs, granted);
  if (problems.length > 0) throw new PreflightError(`permission: ${problems.join('; ')}`);
  return granted;
}
