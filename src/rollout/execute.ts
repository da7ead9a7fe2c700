import { forEachLimited } from '../domain/concurrency.ts';
import { DriftError, VerificationError } from '../domain/errors.ts';
import { deregisterVersion, readCatalogEntry } from '../vault/catalog.ts';
import type { TargetState } from '../vault/mounts.ts';
import { readTargets } from '../vault/targets.ts';
import { readPin } from '../vault/pins.ts';
import { probeMount } from '../vault/probe.ts';
import { verifyEveryNode, withNodeViews, type NodeDeps } from './nodes.ts';
import { moveBatch, prepareCatalog, underPin, type ApplyDeps, type ApplyRecord } from './apply.ts';
import { settle } from './settle.ts';
import { catalogDrift, pinDrift, targetDrift } from './drift.ts';
import { assessTargets, forward, waitForTargets, type TargetOutcome } from './verify.ts';

export interface ExecuteDeps extends ApplyDeps, NodeDeps {
  binaryPath: string;
  pluginDirectory: string;
  probe: string;
}

/**
 * Applies the plan batch by batch — the canary first — and proves each
 * batch runs the new binary (and answers its probe) before touching the next.
 */
export async function executePlan(
  deps: ExecuteDeps,
  record: ApplyRecord,
): Promise<TargetOutcome[]> {
  const { plan, log } = deps;
  const paths = plan.targets.map((m) => m.path);
  await stopOnDrift(deps, paths, true);
  await prepareCatalog(deps, record);
  // The last verification read. When nothing ran after it (no node checks,
  // no probes) and it holds every target — a mount table read holds every
  // mount — it is the final state, and reading it again would show the same.
  let lastRead: Map<string, TargetState> | null = null;
  for (const [index, batch] of plan.batches.entries()) {
    const label =
      index === 0 && plan.canary ? 'the canary' : `batch ${index + 1} of ${plan.batches.length}`;
    log(`${label}: ${batch.join(', ')}`);
    // Every mount was checked just above. The first batch is checked again
    // only when placing the binary, registering it or pinning took time in
    // which someone else could have moved a mount.
    const checkedJustNow =
      index === 0 && !record.placedFile && !record.registered && !record.pinFrom;
    if (!checkedJustNow) await stopOnDrift(deps, batch, false);
    await moveBatch(deps, batch, record);
    lastRead = await waitForTargets(deps, batch, forward(plan), `verification of ${label}`);
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
  // Nothing to move but the pin: it still has to hold the target.
  if (plan.batches.length === 0) await underPin(deps, record, null);
  const table =
    lastRead && deps.nodes.length === 0 && !deps.probe && paths.every((path) => lastRead.has(path))
      ? lastRead
      : await readTargets(deps.client, plan.pluginType, paths);
  const probed = new Set(deps.probe ? plan.batches.flat() : []);
  const outcomes = assessTargets(plan, table).map((o) =>
    probed.has(o.path) && o.result !== 'failed'
      ? { ...o, evidence: [...o.evidence, 'probe' as const] }
      : o,
  );
  const failed = outcomes.filter((o) => o.result === 'failed');
  if (failed.length > 0) {
    throw new VerificationError(`verification failed: ${failed.map((o) => o.problem).join('; ')}`);
  }
  return withNodeViews(deps, plan, outcomes, forward(plan));
}

/**
 * Reads the state the next writes depend on again, right before them, and
 * stops when it is no longer what the plan assumed, so two rollouts started
 * together do not take turns overwriting each other's mounts.
 */
async function stopOnDrift(
  deps: ExecuteDeps,
  paths: readonly string[],
  withCatalog: boolean,
): Promise<void> {
  const { client, plan } = deps;
  const [table, entry, pin] = await Promise.all([
    readTargets(client, plan.pluginType, paths),
    withCatalog && plan.version && plan.sha256
      ? readCatalogEntry(client, plan.pluginType, plan.pluginName, plan.version)
      : Promise.resolve(undefined),
    withCatalog && plan.server.pins
      ? readPin(client, plan.pluginType, plan.pluginName)
      : Promise.resolve(undefined),
  ]);
  const problems = [
    ...(entry === undefined ? [] : catalogDrift(plan, entry)),
    ...(pin === undefined ? [] : pinDrift(plan, pin)),
    ...targetDrift(plan, paths, table),
  ];
  if (problems.length > 0) {
    throw new DriftError(
      `the server changed since the plan was made: ${problems.join('; ')}; another rollout or a person is acting on the same plugin, so this one stopped before writing to it (use a workflow concurrency group)`,
    );
  }
}

/**
 * Deregisters the planned versions only after every mount is verified, and
 * only those that nothing runs at that moment: the state is read again,
 * because the server deregisters a version even while mounts use it. The
 * pin is read again too: the server refuses to deregister a pinned version.
 */
export async function pruneCatalog(deps: ExecuteDeps, record: ApplyRecord): Promise<void> {
  const { client, plan, log } = deps;
  const [live, pin] = await Promise.all([
    readTargets(client, plan.pluginType, 'all'),
    plan.server.pins ? readPin(client, plan.pluginType, plan.pluginName) : Promise.resolve(null),
  ]);
  const inUse = new Set<string>();
  for (const target of live.values()) {
    if (target.plugin !== plan.pluginName) continue;
    inUse.add(target.version);
    inUse.add(target.runningVersion);
  }
  for (const version of plan.prune) {
    if (version === pin) {
      log(`kept ${version}: it is pinned`);
      continue;
    }
    if (inUse.has(version)) {
      log(`kept ${version}: a mount started using it during the rollout`);
      continue;
    }
    record.deregistered.push(version);
    await settle(record, [`deregister ${version}`], () =>
      deregisterVersion(client, plan.pluginType, plan.pluginName, version),
    );
    log(`deregistered ${plan.pluginType} plugin ${plan.pluginName} ${version}`);
  }
}
