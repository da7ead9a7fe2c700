import * as core from '@actions/core';
import { runStatus, type RunReport } from '../rollout/run-report.ts';
import { log } from './log.ts';
import { outputsOf } from './outputs.ts';
import { failureLine, failureTitle } from './stages.ts';
import { renderSummary } from './summary.ts';

/** Sets the outputs, the closing annotation and the job summary from what the run learned. */
export async function publish(report: RunReport, summaryFile: string | undefined): Promise<void> {
  for (const [name, value] of Object.entries(outputsOf(report))) core.setOutput(name, value);
  const status = runStatus(report);
  // setFailed cannot carry a title; the annotation's title names the stage.
  if (report.error) log.error(failureLine(report), failureTitle(report));
  log.info(`result: ${status}`);
  const done = `${report.pluginName} ${report.version} on ${String(report.targets.length)} ${report.pluginType === 'database' ? 'connection(s)' : 'mount(s)'}`;
  const proven = report.artifact?.verified === false ? 'running an unverified binary' : 'verified';
  if (status === 'rolled-out') log.notice(`${done}, ${proven}`, 'Rolled out');
  if (status === 'unchanged') log.notice(`${done}: already in place`, 'Unchanged');
  if (status === 'dry-run') log.notice(`${done}: planned, nothing written`, 'Dry run');
  if (report.summary && summaryFile) await core.summary.addRaw(renderSummary(report)).write();
}
