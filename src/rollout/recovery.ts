import { oneLine } from '../domain/errors.ts';
import { readTargets } from '../vault/targets.ts';
import { movedTargets, wroteAnything, type ApplyRecord } from './apply.ts';
import type { ExecuteDeps } from './execute.ts';
import { rollBack } from './rollback.ts';
import type { Stage } from './run-report.ts';
import { assessTargets, type TargetOutcome } from './verify.ts';

export interface Recovery {
  /** What each target runs after the recovery, as last read. */
  targets: TargetOutcome[];
  /** Set when a rollback was attempted; `error` is empty when it held. */
  rollback: { error: string } | null;
}

/**
 * After a failure: roll back when a target was moved and the user asked for
 * it, otherwise read what runs now. A failed prune comes after every target
 * was verified, and a failure before any target moved left nothing running
 * differently: then there is nothing to roll back, and `null` says so.
 */
export async function recover(
  deps: ExecuteDeps,
  record: ApplyRecord,
  failedStage: Stage,
  rollbackOnFailure: boolean,
  known: TargetOutcome[],
  runRollback: (work: () => Promise<TargetOutcome[]>) => Promise<TargetOutcome[]>,
): Promise<Recovery | null> {
  if (failedStage !== 'rollout') return null;
  if (rollbackOnFailure && movedTargets(record)) {
    try {
      return { targets: await runRollback(() => rollBack(deps, record)), rollback: { error: '' } };
    } catch (rollbackError) {
      return {
        targets: await liveOutcomes(deps, known),
        rollback: { error: oneLine(rollbackError) },
      };
    }
  }
  if (!wroteAnything(record)) return null;
  return { targets: await liveOutcomes(deps, known), rollback: null };
}

/** What runs now; what was last known when the server cannot be read either. */
async function liveOutcomes(deps: ExecuteDeps, known: TargetOutcome[]): Promise<TargetOutcome[]> {
  const paths = deps.plan.targets.map((m) => m.path);
  try {
    return assessTargets(deps.plan, await readTargets(deps.client, deps.plan.pluginType, paths));
  } catch {
    return known;
  }
}
