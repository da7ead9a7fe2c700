import { oneLine } from '../domain/errors.ts';
import { readTargets } from '../vault/targets.ts';
import { mayHaveMoved, movedTargets, wroteAnything, type ApplyRecord } from './apply.ts';
import type { ExecuteDeps } from './execute.ts';
import { rollBack } from './rollback.ts';
import type { Stage } from './run-report.ts';
import { assessTargets, outcome, type TargetOutcome } from './verify.ts';

export interface Recovery {
  /** What each target runs after the recovery, as last read. */
  targets: TargetOutcome[];
  /** Set when a rollback was attempted; `error` is empty when it held. */
  rollback: { error: string } | null;
  /** False when the server could not be read after the failure: `targets` are as the plan read them. */
  readBack: boolean;
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
      const targets = await runRollback(() => rollBack(deps, record));
      return { targets, rollback: { error: '' }, readBack: true };
    } catch (rollbackError) {
      return {
        ...(await liveOutcomes(deps, record, known)),
        rollback: { error: oneLine(rollbackError) },
      };
    }
  }
  if (!wroteAnything(record)) return null;
  return { ...(await liveOutcomes(deps, record, known)), rollback: null };
}

/**
 * What runs now. When the server cannot be read either: what was last known,
 * with every target written to since marked unknown rather than shown as it was.
 */
async function liveOutcomes(
  deps: ExecuteDeps,
  record: ApplyRecord,
  known: TargetOutcome[],
): Promise<{ targets: TargetOutcome[]; readBack: boolean }> {
  const paths = deps.plan.targets.map((m) => m.path);
  try {
    const table = await readTargets(deps.client, deps.plan.pluginType, paths);
    // A target no write reached was not started on, whatever it runs.
    const assessed = assessTargets(deps.plan, table);
    const targets = deps.plan.targets.map((step, i) => {
      const verdict = assessed[i];
      if (verdict && (record.pinFrom || mayHaveMoved(record, step.path))) return verdict;
      const result = step.action === 'none' ? 'unchanged' : 'not-started';
      return outcome(step, table.get(step.path), result, '');
    });
    return { targets, readBack: true };
  } catch (error) {
    const why = `written to since it was last read, and the server could not be read again: ${oneLine(error)}`;
    const targets = known.map((o) =>
      record.pinFrom || mayHaveMoved(record, o.path)
        ? { ...o, result: 'unknown' as const, problem: why, evidence: [] }
        : o,
    );
    return { targets, readBack: false };
  }
}
