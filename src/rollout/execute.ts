import { forEachLimited } from '../concurrency.ts';
import { VerificationError } from '../errors.ts';
import { deregisterVersion } from '../vault/catalog.ts';
import { readTargets } from '../vault/targets.ts';
import { probeMount } from '../vault/probe.ts';
import { verifyEveryNode, withNodeViews, type NodeDeps } from './nodes.ts';
import { moveBatch, prepareCatalog, type ApplyDeps, type ApplyRecord } from './apply.ts';
import { assessMounts, forward, waitForMounts, type MountOutcome } from './verify.ts';

export interface ExecuteDeps extends ApplyDeps, NodeDeps {
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
    if (deps.nodes.length > 0) {
      await verifyEveryNode(
        deps,
        batch,
        forward(plan),
        `verification of ${label}`,
        record.nodeReloads,
      );
      log(`${label}: verified on ${deps.nodes.length} node(s)`);
    }
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
  return withNodeViews(deps, plan, outcomes, forward(plan));
}

/**
 * Deregisters the planned versions only after every mount is verified, and
 * only those that nothing runs at that moment: the state is read again,
 * because the server deregisters a version even while mounts use it.
 */
export async function pruneCatalog(deps: ExecuteDeps, record: ApplyRecord): Promise<void> {
  const { client, plan, log } = deps;
  const live = await readTargets(client, plan.pluginType, 'all');
  const inUse = new Set<string>();
  for (const target of live.values()) {
    if (target.plugin !== plan.pluginName) continue;
    inUse.add(target.version);
    inUse.add(target.runningVersion);
  }
  for (const version of plan.prune) {
    if (inUse.has(version)) {
      log(`kept ${version}: a mount started using it during the rollout`);
      continue;
    }
    record.deregistered.push(version);
    await deregisterVersion(client, plan.pluginType, plan.pluginName, version);
    log(`deregistered ${plan.pluginType} plugin ${plan.pluginName} ${version}`);
  }
}
