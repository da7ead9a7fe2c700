import { mountRoute, type MountType, type PluginType } from '../domain/plugin.ts';
import { splitConnection } from './database-connections.ts';
import { PreflightError } from '../domain/errors.ts';
import type { Plan } from '../rollout/plan.ts';
import type { Restart } from '../rollout/restarts.ts';
import type { VaultClient } from './client.ts';

/** A capability the rollout needs on a path, and what for, so a refusal can say both. */
export interface Requirement {
  path: string;
  capabilities: string[];
  why: string;
}

export type Granted = ReadonlyMap<string, readonly string[]>;

const TABLE: Record<MountType, string> = { secret: 'sys/mounts', auth: 'sys/auth' };

/**
 * The catalog exists only in the root namespace; mount paths are asked from
 * the root namespace too, prefixed with the namespace, so one root token's
 * policy answers for all of them.
 */
function inNamespace(namespace: string, path: string): string {
  return namespace ? `${namespace}/${path}` : path;
}

export function catalogPath(type: PluginType, name: string): string {
  return `sys/plugins/catalog/${type}/${name}`;
}

function connectionPath(path: string): string {
  const { mount, name } = splitConnection(path);
  return `${mount}/config/${name}`;
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
  const { type, name, namespace } = scope;
  const needs: Requirement[] = [
    {
      path: catalogPath(type, name),
      capabilities: ['read', 'sudo'],
      why: 'to read the catalog entry',
    },
  ];
  if (type !== 'database') {
    needs.push({
      path: inNamespace(namespace, TABLE[type]),
      capabilities: ['read'],
      why: 'to read the mounts',
    });
  } else if (scope.targets === 'all') {
    needs.push({
      path: inNamespace(namespace, 'sys/mounts'),
      capabilities: ['read'],
      why: 'to find the database mounts',
    });
  } else {
    for (const target of scope.targets) {
      needs.push({
        path: inNamespace(namespace, connectionPath(target)),
        capabilities: ['read'],
        why: `to read connection ${target}`,
      });
    }
  }
  if (scope.pins) {
    needs.push({
      path: `sys/plugins/pins/${type}/${name}`,
      capabilities: ['read'],
      why: 'to read its pin',
    });
  }
  if (scope.listsCatalog) {
    needs.push({
      path: 'sys/plugins/catalog',
      capabilities: ['read'],
      why: 'to list the catalog versions',
    });
  }
  return needs;
}

/**
 * What the plan's writes need: on OpenBao, catalog writes and auth tunes need
 * sudo as well. `restarts` are the reloads the rollout and its rollback may send.
 */
export function writeRequirements(
  plan: Plan,
  namespace: string,
  probe: string,
  restarts: readonly Restart[],
): Requirement[] {
  const needs: Requirement[] = [];
  if (plan.catalog === 'register') {
    needs.push({
      path: catalogPath(plan.pluginType, plan.pluginName),
      capabilities: ['update', 'sudo'],
      why: `to register ${plan.version}`,
    });
  }
  if (plan.pin) {
    needs.push({
      path: `sys/plugins/pins/${plan.pluginType}/${plan.pluginName}`,
      // The pin is lifted for every tune, and on rollback.
      capabilities: ['update', 'delete'],
      why: plan.pin.to ? `to move its pin to ${plan.pin.to}` : 'to remove its pin',
    });
  }
  if (plan.prune.length > 0) {
    needs.push({
      path: catalogPath(plan.pluginType, plan.pluginName),
      capabilities: ['delete', 'sudo'],
      why: `to deregister ${plan.prune.join(', ')}`,
    });
  }
  for (const step of plan.targets) {
    if (step.action !== 'tune') continue;
    const type = plan.pluginType;
    needs.push(
      type === 'database'
        ? {
            path: inNamespace(namespace, connectionPath(step.path)),
            capabilities: ['update'],
            why: `to move connection ${step.path} to ${plan.version}`,
          }
        : {
            path: tunePath(type, namespace, step.path),
            capabilities: type === 'auth' ? ['update', 'sudo'] : ['update'],
            why: `to tune ${step.path} to ${plan.version}`,
          },
    );
  }
  for (const restart of restarts) needs.push(restartRequirement(plan, namespace, restart));
  if (probe) {
    for (const path of plan.batches.flat()) {
      needs.push({
        path: probePath(plan.pluginType, namespace, path, probe),
        capabilities: ['read'],
        why: `to probe ${path}`,
      });
    }
  }
  return needs;
}

function restartRequirement(plan: Plan, namespace: string, restart: Restart): Requirement {
  switch (restart.kind) {
    case 'mounts':
      return { path: reloadPath(namespace), capabilities: ['update'], why: 'to reload the mounts' };
    case 'plugin':
      // Root namespace only: it reaches every namespace.
      return {
        path: `sys/plugins/reload/${plan.pluginType}/${plan.pluginName}`,
        capabilities: ['update'],
        why: 'to reload every mount of the plugin',
      };
    case 'connection': {
      const { mount, name } = splitConnection(restart.path);
      return {
        path: inNamespace(namespace, `${mount}/reset/${name}`),
        capabilities: ['update'],
        why: `to restart connection ${restart.path}`,
      };
    }
    case 'connections':
      return {
        path: inNamespace(namespace, `${restart.mount}/reload/${plan.pluginName}`),
        capabilities: ['update'],
        why: `to restart the connections under ${restart.mount}`,
      };
  }
}

function tunePath(type: MountType, namespace: string, path: string): string {
  return inNamespace(namespace, `${TABLE[type]}/${path}/tune`);
}

function reloadPath(namespace: string): string {
  return inNamespace(namespace, 'sys/plugins/reload/backend');
}

function probePath(type: PluginType, namespace: string, path: string, probe: string): string {
  return inNamespace(namespace, `${mountRoute(type, path)}/${probe}`);
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
    reloadPath(namespace),
    ...targets.flatMap((path) => [
      tunePath(type, namespace, path),
      ...(probe ? [probePath(type, namespace, path, probe)] : []),
    ]),
  ];
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
    'sys/capabilities-self',
    { paths: unique },
    // Asks, changes nothing: safe to repeat.
    { root: true, repeatable: true },
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
