import { runStatus, type RunReport, type Stage } from '../rollout/run-report.ts';

export const STAGE_LABEL: Record<Stage, string> = {
  config: 'Inputs',
  artifact: 'Artifact',
  preflight: 'Preflight',
  rollout: 'Rollout',
  prune: 'Prune',
  rollback: 'Rollback',
};

/** The failure annotation's title: it names the stage, and says when nothing was written. */
export function failureTitle(report: RunReport): string {
  if (runStatus(report) === 'rolled-back') return 'Rollout failed and was rolled back';
  const stage = report.error?.stage ?? 'config';
  return stage === 'config'
    ? 'Bad input — nothing written'
    : stage === 'artifact' || stage === 'preflight'
      ? `${STAGE_LABEL[stage]} check failed — nothing written`
      : `${STAGE_LABEL[stage]} failed`;
}

/** The step's one error line: the first failure, and what the rollback did about it. */
export function failureLine(report: RunReport): string {
  const message = report.error?.message ?? '';
  if (!report.rollback) return message;
  return report.rollback.error
    ? `${message} — and the rollback failed: ${report.rollback.error}`
    : `${message} — rolled back: every touched mount runs its previous version again`;
}
