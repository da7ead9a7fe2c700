import { VerificationError } from '../domain/errors.ts';
import type { VaultClient } from '../vault/client.ts';
import { mountRoute } from '../domain/plugin.ts';
import { type TargetState } from '../vault/mounts.ts';
import { reloadMounts } from '../vault/reload.ts';
import { readTargets } from '../vault/targets.ts';
import type { TargetStep, Plan } from './plan.ts';
import {
  mismatch,
  waitForTargets,
  type Expectation,
  type TargetOutcome,
  type WaitDeps,
} from './verify.ts';

export interface ClusterNode {
  address: string;
  client: VaultClient;
}

export interface NodeDeps extends WaitDeps {
  nodes: readonly ClusterNode[];
  log: (line: string) => void;
}

/** A global reload reaches OpenBao standbys within a few hundred milliseconds; past this a node lags. */
const LAG_SECONDS = 5;

/**
 * Proves every listed node runs what it should, reading each through its own
 * address. A node that lags — it never got the global reload, or the server
 * reloads only the node that answered — is reloaded through its own address
 * (no scope: that node alone) and checked again. Every node that still fails
 * is named, with what it runs.
 */
export async function verifyEveryNode(
  deps: NodeDeps,
  paths: readonly string[],
  expect: (step: TargetStep) => Expectation,
  what: string,
  reloadedNodes: string[],
): Promise<void> {
  const settled = await Promise.allSettled(
    deps.nodes.map(async (node) => {
      const nodeDeps = { ...deps, client: node.client };
      try {
        await waitForTargets(
          { ...nodeDeps, timeoutSeconds: Math.min(LAG_SECONDS, deps.timeoutSeconds) },
          paths,
          expect,
          `${what} on ${node.address}`,
        );
        return;
      } catch (error) {
        if (!(error instanceof VerificationError)) throw error;
      }
      deps.log(`${node.address} does not run it yet; reloading there`);
      reloadedNodes.push(node.address);
      const names = paths.map((path) => mountRoute(deps.plan.pluginType, path));
      await reloadMounts(node.client, names, 'local');
      await waitForTargets(nodeDeps, paths, expect, `${what} on ${node.address}`);
    }),
  );
  const failures = settled.flatMap((result, i) =>
    result.status === 'rejected' ? [nodeFailure(deps.nodes[i]?.address ?? '', result.reason)] : [],
  );
  if (failures.length > 0) throw new VerificationError(failures.join('; '));
}

function nodeFailure(address: string, reason: unknown): string {
  const text = reason instanceof Error ? reason.message : String(reason);
  return text.includes(address) ? text : `node ${address}: ${text}`;
}

/** Adds each node's view of each mount to the outcomes, read once more at the end. */
export async function withNodeViews(
  deps: NodeDeps,
  plan: Plan,
  outcomes: TargetOutcome[],
  expect: (step: TargetStep) => Expectation,
): Promise<TargetOutcome[]> {
  if (deps.nodes.length === 0) return outcomes;
  const paths = plan.targets.map((m) => m.path);
  const tables = await Promise.all(
    deps.nodes.map(async (node) => ({
      address: node.address,
      table: await readTargets(node.client, plan.pluginType, paths),
    })),
  );
  return outcomes.map((o) => {
    const step = plan.targets.find((m) => m.path === o.path);
    return {
      ...o,
      nodes: tables.map(({ address, table }) =>
        nodeView(plan, address, table, o.path, step, expect),
      ),
    };
  });
}

function nodeView(
  plan: Plan,
  address: string,
  table: ReadonlyMap<string, TargetState>,
  path: string,
  step: TargetStep | undefined,
  expect: (step: TargetStep) => Expectation,
): TargetOutcome['nodes'][number] {
  const state = table.get(path);
  return {
    node: address,
    runningVersion: state?.runningVersion ?? '',
    runningSha256: state?.runningSha256 ?? '',
    problem: step ? mismatch(plan.pluginType, path, state, expect(step)) : '',
  };
}
