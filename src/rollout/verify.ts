import { VerificationError } from '../errors.ts';
import type { VaultClient } from '../vault/client.ts';
import type { MountState } from '../vault/mounts.ts';
import { readTargets } from '../vault/targets.ts';
import { describeMount, type MountStep, type Plan } from './plan.ts';

export type MountResult = 'updated' | 'unchanged' | 'failed' | 'not-started' | 'rolled-back';

export interface MountOutcome {
  path: string;
  previous: string;
  target: string;
  version: string;
  runningVersion: string;
  runningSha256: string;
  result: MountResult;
  problem: string;
  /** What each listed node runs for this mount, read through that node's own address. */
  nodes: NodeView[];
}

export interface NodeView {
  node: string;
  runningVersion: string;
  runningSha256: string;
  /** '' when the node runs what it should. */
  problem: string;
}

/** What a mount must run; `sha256: null` when only the version can be known. */
export interface Expectation {
  version: string;
  sha256: string | null;
}

export function forward(plan: Plan): (step: MountStep) => Expectation {
  // Connections report no running hash; their configured version is what the server restarted.
  const sha256 = plan.pluginType === 'database' ? null : plan.sha256;
  return () => ({ version: plan.version, sha256 });
}

/**
 * Going back means the version the mount had; its hash is known only when
 * it was running that version when the rollout read it.
 */
export function backward(step: MountStep): Expectation {
  // A mount enabled without a version cannot be tuned back to none; the server
  // refuses an empty version. It goes back to the version it was running.
  const version = step.from || step.runningVersion;
  return {
    version,
    sha256: step.runningVersion === version ? step.runningSha256 : null,
  };
}

/** The mismatch between a mount's live state and what it should run, or '' when it matches. */
export function mismatch(
  type: Plan['pluginType'],
  path: string,
  now: MountState | undefined,
  expected: Expectation,
): string {
  const where = describeMount(type, path);
  const want = `${expected.version || '(unversioned)'}${expected.sha256 ? ` sha256 ${expected.sha256}` : ''}`;
  if (!now) return `${where} disappeared during the rollout`;
  if (now.version !== expected.version) {
    return `${where} is configured for ${now.version || '(unversioned)'}, not ${expected.version || '(unversioned)'}`;
  }
  const runsVersion = expected.version === '' || now.runningVersion === expected.version;
  if (!runsVersion || (expected.sha256 !== null && now.runningSha256 !== expected.sha256)) {
    return `${where} runs ${now.runningVersion || '(unknown)'} sha256 ${now.runningSha256 || '(none)'}, not ${want}`;
  }
  return '';
}

/** Compares what each mount runs now with the plan; pure, so the verdict is unit-tested. */
export function assessMounts(plan: Plan, table: ReadonlyMap<string, MountState>): MountOutcome[] {
  return plan.mounts.map((step) => {
    const now = table.get(step.path);
    const problem = mismatch(plan.pluginType, step.path, now, forward(plan)(step));
    const result: MountResult = problem
      ? 'failed'
      : step.action === 'none'
        ? 'unchanged'
        : 'updated';
    return outcome(step, now, result, problem);
  });
}

export function outcome(
  step: MountStep,
  now: MountState | undefined,
  result: MountResult,
  problem: string,
): MountOutcome {
  return {
    path: step.path,
    previous: step.from,
    target: step.to,
    version: now?.version ?? '',
    runningVersion: now?.runningVersion ?? '',
    runningSha256: now?.runningSha256 ?? '',
    result,
    problem,
    nodes: [],
  };
}

/** Outcomes before anything ran, for a report that stops early. */
export function pendingOutcomes(plan: Plan): MountOutcome[] {
  return plan.mounts.map((step) =>
    outcome(
      step,
      {
        path: step.path,
        plugin: plan.pluginName,
        version: step.from,
        runningVersion: step.runningVersion,
        runningSha256: step.runningSha256,
      },
      step.action === 'none' ? 'unchanged' : 'not-started',
      '',
    ),
  );
}

export interface WaitDeps {
  client: VaultClient;
  plan: Plan;
  timeoutSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * A reload may finish after its call returns (Vault answers 202), so the
 * check is repeated with growing pauses until it holds or time runs out.
 * Returns the last mount table read.
 */
export async function waitForMounts(
  deps: WaitDeps,
  paths: readonly string[],
  expect: (step: MountStep) => Expectation,
  what: string,
): Promise<Map<string, MountState>> {
  const deadline = deps.now() + deps.timeoutSeconds * 1000;
  const steps = deps.plan.mounts.filter((m) => paths.includes(m.path));
  let pause = 250;
  for (;;) {
    const table = await readTargets(deps.client, deps.plan.pluginType, paths);
    const problems = steps
      .map((step) => mismatch(deps.plan.pluginType, step.path, table.get(step.path), expect(step)))
      .filter(Boolean);
    if (problems.length === 0) return table;
    if (deps.now() + pause > deadline) {
      throw new VerificationError(
        `${what} failed after ${deps.timeoutSeconds}s: ${problems.join('; ')}`,
      );
    }
    await deps.sleep(pause);
    pause = Math.min(pause * 2, 4000);
  }
}
