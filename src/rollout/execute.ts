import { forEachLimited } from '../concurrency.ts';
import { VerificationError } from '../errors.ts';
import { readTargets } from '../vault/targets.ts';
import { probeMount } from '../vault/probe.ts';
import { moveBatch, prepareCatalog, type ApplyDeps, type ApplyRecord } from './apply.ts';
import {
  assessMounts,
  forward,
  waitForMounts,
  type MountOutcome,
  type WaitDeps,
} from './verify.ts';

export interface ExecuteDeps extends ApplyDeps, WaitDeps {
  binaryPath: string;
  pluginDirectory: string;
  probe: string;
}

/**
 * Applies the plan batch by batch — the canary first — and proves each
 * batch runs the new binary (and answers its probe) before touching the next.
 */
export async function executePlan(deps: ExecuteDeps, record: ApplyRecord): Promise<MountOutcome[]> {
  const { plan, log } = deps;
  await prepareCatalog(deps, record);
  for (const [index, batch] of plan.batches.entries()) {
    const label =
      index === 0 && plan.canary ? 'the canary' : `batch ${index + 1} of ${plan.batches.length}`;
    log(`${label}: ${batch.join(', ')}`);
    await moveBatch(deps, batch, record);
    await waitForMounts(deps, batch, forward(plan), `verification of ${label}`);
    if (deps.probe) {
      await forEachLimited(batch, deps.concurrency, (path) =>
        probeMount(deps.client, plan.pluginType, path, deps.probe),
      );
      log(`${label}: ${deps.probe} answered on every mount`);
    }
  }
  const paths = plan.mounts.map((m) => m.path);
  const outcomes = assessMounts(plan, await readTargets(deps.client, plan.pluginType, paths));
  const failed = outcomes.filter((o) => o.result === 'failed');
  if (failed.length > 0) {
    throw new VerificationError(`verification failed: ${failed.map((o) => o.problem).join('; ')}`);
  }
  return outcomes;
}
