import type { ArtifactFacts } from '../artifact/facts.ts';
import { wroteAnything, type ApplyRecord } from './apply.ts';
import type { Plan } from './plan.ts';
import type { PlanOrigin } from './saved-plan.ts';
import type { PlanCheck } from './saved-plan-check.ts';
import type { SavedPlan } from './saved-plan-shape.ts';
import type { TargetOutcome } from './verify.ts';

export type Stage = 'config' | 'artifact' | 'preflight' | 'rollout' | 'prune' | 'rollback';

export type RunStatus = 'rolled-out' | 'unchanged' | 'dry-run' | 'rolled-back' | 'failed';

/** Everything a run learned, in the order it learned it; the summary and outputs are views of it. */
export interface RunReport {
  pluginType: string;
  pluginName: string;
  version: string;
  server: string;
  namespace: string;
  /** e.g. `OpenBao 2.7.2 community, single node`; empty until the server was reached. */
  serverIdentity: string;
  /** How the action authenticated, without any secret. */
  login: string;
  artifact: ArtifactFacts | null;
  plan: Plan | null;
  /** What the plan was made from besides the server state; with `plan`, the `plan` output. */
  planOrigin: PlanOrigin | null;
  /** The plan the `plan` input gave, and what checking it against the server found (`null` until then). */
  savedPlan: { plan: SavedPlan; check: PlanCheck | null } | null;
  record: ApplyRecord;
  targets: TargetOutcome[];
  /** False when the server could not be read after a failure: `targets` show each one as the plan read it. */
  readBack: boolean;
  timings: { stage: Stage; ms: number }[];
  /** `from` names the namespace whose failure stopped or rolled back this one, when it was another. */
  error: { stage: Stage; message: string; from?: string } | null;
  dryRun: boolean;
  /** Whether to write the job summary (the `summary` input). */
  summary: boolean;
  /** The workflow that rolls back (a `workflow_dispatch` with a `version` input); `null` outside a repository. */
  rollbackWorkflow: { file: string; url: string; repository: string } | null;
  /** Set when a rollback was attempted after a failure; `error` is empty when it held. */
  rollback: { error: string } | null;
}

export function runStatus(report: RunReport): RunStatus {
  if (report.error) return report.rollback && !report.rollback.error ? 'rolled-back' : 'failed';
  if (report.dryRun) return 'dry-run';
  return report.plan?.changes ? 'rolled-out' : 'unchanged';
}

/**
 * The status of a run over several namespaces: rolled back when a failure
 * left every namespace it wrote to back where it was, failed when any other
 * failure stopped it.
 */
export function overallStatus(reports: readonly RunReport[]): RunStatus {
  const statuses = reports.map(runStatus);
  if (reports.some((report) => report.error)) {
    const undone = reports.every(
      (report, i) => statuses[i] === 'rolled-back' || !wroteAnything(report.record),
    );
    return undone && statuses.includes('rolled-back') ? 'rolled-back' : 'failed';
  }
  if (statuses.includes('dry-run')) return 'dry-run';
  return statuses.includes('rolled-out') ? 'rolled-out' : 'unchanged';
}

/**
 * The failure that stopped a run: the namespace the others name as the
 * cause, `shared` when it was the whole run's (the inputs, the artifact or
 * the login) rather than one namespace's.
 */
export function failureOf(
  reports: readonly RunReport[],
): { report: RunReport; shared: boolean } | null {
  const report = reports.find((r) => r.error && !r.error.from);
  if (!report) return null;
  return { report, shared: reports.length > 1 && reports.every((r) => r.error === report.error) };
}
