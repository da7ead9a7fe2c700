import * as core from '@actions/core';
import { failureOf, overallStatus, type RunReport } from '../rollout/run-report.ts';
import { log } from './log.ts';
import { outputsOf } from './outputs.ts';
import { failureLine, failureTitle, STAGE_LABEL } from './stages.ts';
import { renderRunSummary } from './namespaces-summary.ts';

/** Sets the outputs, the closing annotation and the job summary from what the run learned, one report a namespace. */
export async function publish(
  reports: readonly RunReport[],
  summaryFile: string | undefined,
): Promise<void> {
  const [first] = reports;
  if (!first) return;
  for (const [name, value] of Object.entries(outputsOf(reports))) core.setOutput(name, value);
  const status = overallStatus(reports);
  const failure = failureOf(reports);
  if (failure) {
    const cause = failure.report;
    const where = reports.length > 1 && !failure.shared ? `in namespace ${cause.namespace}: ` : '';
    const unrolled = reports
      .filter((report) => report !== cause && report.rollback?.error)
      .map(
        (report) =>
          ` — and the rollback in namespace ${report.namespace} failed: ${report.rollback?.error ?? ''}`,
      );
    // setFailed cannot carry a title; the annotation's title names the stage.
    const title = unrolled.length > 0 ? `${STAGE_LABEL.rollout} failed` : failureTitle(cause);
    log.error(`${where}${failureLine(cause)}${unrolled.join('')}`, title);
  }
  log.info(`result: ${status}`);
  const count = reports.reduce((sum, report) => sum + report.targets.length, 0);
  const spread = reports.length > 1 ? ` in ${String(reports.length)} namespaces` : '';
  const done = `${first.pluginName} ${first.version} on ${String(count)} ${first.pluginType === 'database' ? 'connection(s)' : 'mount(s)'}${spread}`;
  const proven = first.artifact?.verified === false ? 'running an unverified binary' : 'verified';
  if (status === 'rolled-out') log.notice(`${done}, ${proven}`, 'Rolled out');
  if (status === 'unchanged') log.notice(`${done}: already in place`, 'Unchanged');
  if (status === 'dry-run') log.notice(`${done}: planned, nothing written`, 'Dry run');
  if (first.summary && summaryFile) await core.summary.addRaw(renderRunSummary(reports)).write();
}
