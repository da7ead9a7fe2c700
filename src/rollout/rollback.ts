import { forEachLimited } from '../concurrency.ts';
import { writePin } from '../vault/pins.ts';
import { moveTarget, needsReload } from '../vault/targets.ts';
import { reload, emptyRecord, type ApplyRecord } from './apply.ts';
import { verifyEveryNode, withNodeViews } from './nodes.ts';
import type { ExecuteDeps } from './execute.ts';
import { backward, outcome, waitForMounts, type MountOutcome } from './verify.ts';

/**
 * Tunes every mount the failed rollout touched back to the version it had,
 * reloads them and proves they run it again. Catalog entries are left alone:
 * the previous version must stay registered for the mounts to run it.
 */
export async function rollBack(deps: ExecuteDeps, record: ApplyRecord): Promise<MountOutcome[]> {
  const { plan, log } = deps;
  const touched = plan.mounts.filter(
    (m) => record.tuned.includes(m.path) || record.reloaded.includes(m.path),
  );
  const paths = touched.map((m) => m.path);
  if (record.pinFrom) {
    await writePin(deps.client, plan.pluginType, plan.pluginName, record.pinFrom);
    log(`moved the pin of ${plan.pluginName} back to ${record.pinFrom}`);
  }
  log(`rolling back ${paths.join(', ')}`);
  await forEachLimited(
    touched.filter((m) => m.from !== m.to),
    deps.concurrency,
    async (step) => {
      const version = backward(step).version;
      await moveTarget(deps.client, plan.pluginType, plan.pluginName, step.path, version);
      log(`tuned ${step.path} back to ${version}`);
    },
  );
  if (needsReload(plan.pluginType)) await reload(deps, paths, emptyRecord());
  const table = await waitForMounts(deps, paths, backward, 'rollback verification');
  if (deps.nodes.length > 0) {
    await verifyEveryNode(
      deps,
      paths,
      backward,
      'rollback verification',
      emptyRecord().nodeReloads,
    );
  }
  const outcomes = plan.mounts.map((step) =>
    paths.includes(step.path)
      ? outcome(step, table.get(step.path), 'rolled-back', '')
      : outcome(
          step,
          table.get(step.path),
          step.action === 'none' ? 'unchanged' : 'not-started',
          '',
        ),
  );
  return withNodeViews(deps, plan, outcomes, backward);
}
