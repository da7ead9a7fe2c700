import { VerificationError } from '../errors.ts';
import type { VaultClient } from '../vault/client.ts';
import { readMountTable, type MountState } from '../vault/mounts.ts';
import { describeMount, type Plan } from './plan.ts';

export type MountResult = 'updated' | 'unchanged' | 'failed' | 'not-started';

export interface MountOutcome {
  path: string;
  previous: string;
  target: string;
  version: string;
  runningVersion: string;
  runningSha256: string;
  result: MountResult;
  problem: string;
}

/** Compares what each mount runs now with the plan; pure, so the verdict is unit-tested. */
export function assessMounts(plan: Plan, table: ReadonlyMap<string, MountState>): MountOutcome[] {
  return plan.mounts.map((step) => {
    const now = table.get(step.path);
    const base = {
      path: step.path,
      previous: step.from,
      target: step.to,
      version: now?.version ?? '',
      runningVersion: now?.runningVersion ?? '',
      runningSha256: now?.runningSha256 ?? '',
    };
    const where = describeMount(plan.pluginType, step.path);
    let problem = '';
    if (!now) problem = `${where} disappeared during the rollout`;
    else if (now.version !== plan.version)
      problem = `${where} is configured for ${now.version || '(unversioned)'}, not ${plan.version}`;
    else if (now.runningVersion !== plan.version || now.runningSha256 !== plan.sha256) {
      problem = `${where} runs ${now.runningVersion || '(unknown)'} sha256 ${now.runningSha256 || '(none)'}, not ${plan.version} sha256 ${plan.sha256}`;
    }
    const result: MountResult = problem
      ? 'failed'
      : step.action === 'none'
        ? 'unchanged'
        : 'updated';
    return { ...base, result, problem };
  });
}

/** Outcomes before anything ran, for a report that stops early. */
export function pendingOutcomes(plan: Plan): MountOutcome[] {
  return plan.mounts.map((step) => ({
    path: step.path,
    previous: step.from,
    target: step.to,
    version: step.from,
    runningVersion: step.runningVersion,
    runningSha256: step.runningSha256,
    result: 'not-started',
    problem: '',
  }));
}

export interface VerifyDeps {
  client: VaultClient;
  plan: Plan;
  timeoutSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
}

/**
 * A reload may finish after its call returns (Vault answers 202), so the
 * check is repeated with growing pauses until it holds or time runs out.
 */
export async function verifyRollout(deps: VerifyDeps): Promise<MountOutcome[]> {
  const deadline = deps.now() + deps.timeoutSeconds * 1000;
  let pause = 250;
  for (;;) {
    const outcomes = assessMounts(
      deps.plan,
      await readMountTable(deps.client, deps.plan.pluginType),
    );
    const failed = outcomes.filter((o) => o.result === 'failed');
    if (failed.length === 0) return outcomes;
    if (deps.now() + pause > deadline) {
      throw new VerificationFailure(
        `verification failed after ${deps.timeoutSeconds}s: ${failed.map((o) => o.problem).join('; ')}`,
        outcomes,
      );
    }
    await deps.sleep(pause);
    pause = Math.min(pause * 2, 4000);
  }
}

export class VerificationFailure extends VerificationError {
  readonly outcomes: MountOutcome[];

  constructor(message: string, outcomes: MountOutcome[]) {
    super(message);
    this.outcomes = outcomes;
  }
}
