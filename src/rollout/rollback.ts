import { forEachLimited } from '../domain/concurrency.ts';
import { readCatalogEntry } from '../vault/catalog.ts';
import { moveTarget } from '../vault/targets.ts';
import { emptyRecord, mayHaveMoved, restartTargets, setPin, type ApplyRecord } from './apply.ts';
import { verifyEveryNode, withNodeViews } from './nodes.ts';
import { restartsFor } from './restarts.ts';
import type { ExecuteDeps } from './execute.ts';
import {
  backward,
  evidenceOf,
  outcome,
  versionsToLookUp,
  waitForTargets,
  type TargetOutcome,
} from './verify.ts';

/**
 * Tunes every mount the failed rollout touched back to the version it had,
 * puts the pin back where it was, restarts them and proves they run what
 * that configuration starts. Catalog entries are left alone: the previous
 * version must stay registered for the mounts to run it.
 *
 * With a pin the order is the apply order reversed: lift the pin (the server
 * refuses version tunes under one), tune back, set the pin to its old version
 * — also when a tune back fails, so the pin is never left lifted — and only
 * then restart, so each mount starts what the restored pin says.
 */
export async function rollBack(deps: ExecuteDeps, record: ApplyRecord): Promise<TargetOutcome[]> {
  const { client, plan, log } = deps;
  // A mount whose tune and restart the server refused still runs what it ran.
  const touched = plan.targets.filter((m) => mayHaveMoved(record, m.path));
  const paths = touched.map((m) => m.path);
  log(`rolling back ${paths.join(', ') || 'the pin'}`);
  const hashes = new Map<string, string>();
  for (const version of versionsToLookUp(plan, touched)) {
    const entry = await readCatalogEntry(client, plan.pluginType, plan.pluginName, version);
    if (entry?.sha256) hashes.set(version, entry.sha256);
  }
  const expect = backward(plan, hashes);
  const tuneBack = (): Promise<void> =>
    forEachLimited(
      touched.filter((m) => m.from !== m.to),
      deps.concurrency,
      async (step) => {
        const version = expect(step).configured;
        await moveTarget(client, plan.pluginType, plan.pluginName, step.path, version);
        log(`tuned ${step.path} back to ${version}`);
      },
    );
  if (record.pinFrom) {
    await setPin(deps, '');
    try {
      await tuneBack();
    } finally {
      await setPin(deps, record.pinFrom);
    }
  } else {
    await tuneBack();
  }
  // Writing a connection restarts it at once, with the pin lifted; under the
  // restored pin it must start again.
  const restart = plan.pluginType !== 'database' || record.pinFrom ? paths : [];
  await restartTargets(deps, restartsFor(plan, restart), emptyRecord());
  const table = await waitForTargets(deps, paths, expect, 'rollback verification');
  if (deps.nodes.length > 0) {
    await verifyEveryNode(deps, paths, expect, 'rollback verification', emptyRecord().nodeReloads);
  }
  const outcomes = plan.targets.map((step) => {
    const now = table.get(step.path);
    if (!paths.includes(step.path)) {
      return outcome(step, now, step.action === 'none' ? 'unchanged' : 'not-started', '');
    }
    return outcome(step, now, 'rolled-back', '', now ? evidenceOf(now, expect(step)) : []);
  });
  return withNodeViews(deps, plan, outcomes, expect);
}
