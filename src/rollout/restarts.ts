import { splitConnection } from '../domain/plugin.ts';
import { fitsOneReload, type Restart } from '../vault/reload.ts';
import type { Plan } from './plan.ts';

/**
 * The plugin-wide calls restart more than the action verifies unless the set
 * is every target of the plugin, so they are used only when it is: a
 * `mounts: all` rollout (the plan saw every mount) whose set holds all of
 * them — nothing excluded, one batch — on a server with one namespace
 * (Vault community edition; on Enterprise the plugin-wide reload also
 * reaches namespaces the action never read). Everything else is reloaded by
 * name, so mounts the user did not list keep their processes.
 */
export function restartsFor(plan: Plan, paths: readonly string[]): Restart[] {
  if (paths.length === 0) return [];
  const every = plan.everyTarget;
  const covers = (subset: readonly string[]): boolean =>
    every !== null && subset.every((path) => paths.includes(path));
  if (plan.pluginType !== 'database') {
    return plan.server.pluginReload &&
      every !== null &&
      covers(every) &&
      fitsOneReload(paths.length)
      ? [{ kind: 'plugin', paths: [...paths] }]
      : [{ kind: 'mounts', paths: [...paths] }];
  }
  const byMount = new Map<string, string[]>();
  for (const path of paths) {
    const { mount } = splitConnection(path);
    byMount.set(mount, [...(byMount.get(mount) ?? []), path]);
  }
  return [...byMount].flatMap(([mount, inMount]): Restart[] => {
    const everyInMount = (every ?? []).filter((path) => splitConnection(path).mount === mount);
    return plan.server.connectionReload && every !== null && covers(everyInMount)
      ? [{ kind: 'connections', mount, paths: inMount }]
      : inMount.map((path) => ({ kind: 'connection', path }));
  });
}

/**
 * What one batch restarts after its tunes. A connection restarts when its
 * configuration is written, so only those whose configuration already named
 * the target need a restart of their own; every mount of a batch is reloaded.
 */
export function batchRestarts(plan: Plan, batch: readonly string[]): Restart[] {
  const paths =
    plan.pluginType === 'database'
      ? plan.targets
          .filter((m) => batch.includes(m.path) && m.action === 'reload')
          .map((m) => m.path)
      : batch;
  return restartsFor(plan, paths);
}

/** Every restart the rollout or its rollback may send, for the permission check before any write. */
export function possibleRestarts(plan: Plan): Restart[] {
  const forward = plan.batches.flatMap((batch) => batchRestarts(plan, batch));
  // A rollback under a pin restarts every touched connection.
  const back =
    plan.pluginType === 'database' && plan.pin ? restartsFor(plan, plan.batches.flat()) : [];
  return [...forward, ...back];
}
