import type { CatalogEntry } from '../vault/catalog.ts';
import type { TargetState } from '../vault/mounts.ts';
import type { Plan } from './plan.ts';
import { describeTarget } from '../domain/plugin.ts';

/**
 * How the catalog entry of the target version differs from what the plan
 * read; empty when registering (or not) is still what the plan decided.
 * The same version registered since with the same binary changes nothing.
 */
export function catalogDrift(plan: Plan, entry: CatalogEntry | null): string[] {
  const what = `${plan.pluginType} plugin ${plan.pluginName} ${plan.version}`;
  if (plan.catalog === 'register') {
    return entry && (entry.sha256 !== plan.sha256 || entry.command !== plan.command)
      ? [`${what} was registered meanwhile with sha256 ${entry.sha256}`]
      : [];
  }
  if (!entry) return [`${what} was deregistered meanwhile`];
  return entry.sha256 === plan.sha256
    ? []
    : [`${what} was re-registered meanwhile with sha256 ${entry.sha256}`];
}

/**
 * How the mounts (or connections) of one batch differ from what the plan
 * read: another rollout, or a person, moved them. Empty when every one is
 * still on the plugin and version the plan will move it from.
 */
export function targetDrift(
  plan: Plan,
  paths: readonly string[],
  table: ReadonlyMap<string, TargetState>,
): string[] {
  const problems: string[] = [];
  for (const step of plan.targets.filter((m) => paths.includes(m.path))) {
    const where = describeTarget(plan.pluginType, step.path);
    const now = table.get(step.path);
    if (!now) problems.push(`${where} was removed`);
    else if (now.plugin !== plan.pluginName)
      problems.push(`${where} now runs plugin ${now.plugin}`);
    else if (now.version !== step.from) {
      problems.push(
        `${where} is now configured for ${now.version || '(unversioned)'}, not ${step.from || '(unversioned)'} as planned`,
      );
    }
  }
  return problems;
}

/** How the pin differs from what the plan read: a pin set, moved or removed meanwhile. */
export function pinDrift(plan: Plan, pin: string | null): string[] {
  if (pin === plan.pinned) return [];
  const what = `the pin of ${plan.pluginType} plugin ${plan.pluginName}`;
  return [
    pin === null
      ? `${what} was removed`
      : `${what} now holds ${pin}, not ${plan.pinned ?? 'nothing'} as planned`,
  ];
}
