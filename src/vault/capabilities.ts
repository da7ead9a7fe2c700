import type { PluginType } from '../config.ts';
import { PreflightError } from '../errors.ts';
import type { Plan } from '../rollout/plan.ts';
import type { VaultClient } from './client.ts';

/** A capability the rollout needs on a path, and what for, so a refusal can say both. */
export interface Requirement {
  path: string;
  capabilities: string[];
  why: string;
}

export type Granted = ReadonlyMap<string, readonly string[]>;

const TABLE: Record<PluginType, string> = { secret: 'sys/mounts', auth: 'sys/auth' };

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

/** What the preflight reads need. */
export function readRequirements(type: PluginType, name: string, namespace: string): Requirement[] {
  return [
    {
      path: catalogPath(type, name),
      capabilities: ['read', 'sudo'],
      why: 'to read the catalog entry',
    },
    {
      path: inNamespace(namespace, TABLE[type]),
      capabilities: ['read'],
      why: 'to read the mounts',
    },
  ];
}

/** What the plan's writes need: on OpenBao, catalog writes and auth tunes need sudo as well. */
export function writeRequirements(plan: Plan, namespace: string): Requirement[] {
  const needs: Requirement[] = [];
  if (plan.catalog === 'register') {
    needs.push({
      path: catalogPath(plan.pluginType, plan.pluginName),
      capabilities: ['update', 'sudo'],
      why: `to register ${plan.version}`,
    });
  }
  for (const step of plan.mounts) {
    if (step.action !== 'tune') continue;
    needs.push({
      path: inNamespace(namespace, `${TABLE[plan.pluginType]}/${step.path}/tune`),
      capabilities: plan.pluginType === 'auth' ? ['update', 'sudo'] : ['update'],
      why: `to tune ${step.path} to ${plan.version}`,
    });
  }
  if (plan.reload.length > 0) {
    needs.push({
      path: inNamespace(namespace, 'sys/plugins/reload/backend'),
      capabilities: ['update'],
      why: 'to reload the mounts',
    });
  }
  return needs;
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

/** Refuses, before any write, naming each capability on each path the token lacks. */
export async function requireCapabilities(
  client: VaultClient,
  needs: readonly Requirement[],
): Promise<void> {
  if (needs.length === 0) return;
  const granted = await fetchCapabilities(
    client,
    needs.map((n) => n.path),
  );
  const problems = missingCapabilities(needs, granted);
  if (problems.length > 0) throw new PreflightError(`permission: ${problems.join('; ')}`);
}
