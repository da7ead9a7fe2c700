// The job summary of a run over several namespaces, built from each namespace's own.
import { rollbackHowTo } from './rollback-advice.ts';
import { briefError } from './error-text.ts';
import { code, details, escapeText, seconds, table } from './markdown.ts';
import {
  failureOf,
  overallStatus,
  runStatus,
  type RunReport,
  type RunStatus,
  type Stage,
} from '../rollout/run-report.ts';
import { artifactSection } from './provenance-section.ts';
import { targetType } from './target-type.ts';
import {
  document,
  namespaceParts,
  notStarted,
  planDetails,
  renderSummary,
  unverifiedBlock,
} from './summary.ts';

/**
 * A run over several namespaces: one headline and a line a namespace on
 * top; each namespace's own summary folded beneath, open where the run
 * failed; the artifact, which they share, once.
 */
export function renderRunSummary(reports: readonly RunReport[]): string {
  const [first, ...rest] = reports;
  if (!first) return '';
  if (rest.length === 0) return renderSummary(first);
  const mounts = targetType(first) === 'database' ? 'Connections' : 'Mounts';
  const took = (report: RunReport, shared: boolean): number =>
    report.timings
      .filter((t) => SHARED_STAGES.includes(t.stage) === shared)
      .reduce((sum, t) => sum + t.ms, 0);
  const rows = reports.map((report) => [
    code(report.namespace),
    namespaceResult(report),
    String(report.targets.length),
    seconds(took(report, false)),
  ]);
  const shared = took(first, true);
  const total = reports.reduce((sum, report) => sum + took(report, false), shared);
  return document([
    runHeadline(reports),
    first.artifact?.verified === false ? unverifiedBlock(first.artifact.asset) : '',
    `${table(['Namespace', 'Result', mounts, 'Time'], rows)}\n\nInputs and artifact, shared by the namespaces: ${seconds(shared)} · **total ${seconds(total)}**`,
    runRollback(reports),
    ...reports.map((report) =>
      details(
        `Namespace ${escapeText(report.namespace)}: ${namespaceMark(report)}`,
        document([
          ...namespaceParts(report, '', false),
          details('Plan and writes', planDetails(report)),
        ]).trimEnd(),
        report.error !== null && !report.error.from,
      ),
    ),
    artifactSection(first),
  ]);
}

const STATUS_MARK: Record<RunStatus, string> = {
  'rolled-out': '✅ rolled out',
  unchanged: '➖ unchanged',
  'dry-run': '📝 planned',
  'rolled-back': '↩️ rolled back',
  failed: '❌ failed',
};

/** Stages the namespaces of a run share: each one's report holds their times. */
const SHARED_STAGES: readonly Stage[] = ['config', 'artifact'];

function namespaceMark(report: RunReport): string {
  return notStarted(report) ? '⏸️ not started' : STATUS_MARK[runStatus(report)];
}

function namespaceResult(report: RunReport): string {
  const error = report.error;
  if (!error) return namespaceMark(report);
  return `${namespaceMark(report)}: ${escapeText(error.from ? error.message : briefError(error.message))}`;
}

/**
 * The way back for the whole run. The rollback workflow rolls back every
 * namespace it names, so one run per version serves only when every
 * namespace moved the same mounts from the same versions; otherwise each
 * namespace still rolled out goes back in a run of its own.
 */
function runRollback(reports: readonly RunReport[]): string {
  const [first] = reports;
  const rolled = reports.filter((report) => runStatus(report) === 'rolled-out');
  if (!first || rolled.length === 0) return '';
  const moves = (report: RunReport): string =>
    report.targets
      .map((t) => `${t.path} ${t.previous} ${t.result}`)
      .sort()
      .join('\n');
  if (rolled.length === reports.length && reports.every((r) => moves(r) === moves(first))) {
    return rollbackHowTo({
      ...first,
      record: { ...first.record, deregistered: reports.flatMap((r) => r.record.deregistered) },
    });
  }
  const names = rolled.map((report) => code(report.namespace)).join(', ');
  return `### Roll back\n\nThe rollback workflow rolls back every namespace it names, and these namespaces did not all move the same mounts from the same versions: roll ${names} back each in a run of its own, with \`namespace\` naming it alone.`;
}

function runHeadline(reports: readonly RunReport[]): string {
  const [first] = reports;
  if (!first) return '';
  const what = `${code(first.pluginName)} ${first.version ? code(first.version) : ''}`.trim();
  const mark = first.artifact?.verified === false ? ' — unverified' : '';
  const spread = `${String(reports.length)} namespaces`;
  const where = `${first.pluginType} plugin on ${code(first.server)}`;
  const count = reports.reduce((sum, report) => sum + report.targets.length, 0);
  const targets = `${String(count)} ${targetType(first) === 'database' ? 'connection' : 'mount'}${count === 1 ? '' : 's'}`;
  const failure = failureOf(reports);
  const stage = failure?.report.error?.stage ?? '';
  const stopped = !failure
    ? ''
    : failure.shared
      ? `at the ${stage} stage, before any namespace`
      : `at the ${stage} stage in namespace ${code(failure.report.namespace)}`;
  switch (overallStatus(reports)) {
    case 'rolled-out':
      return `## ✅ Rolled out ${what} in ${spread}${mark}\n\n${where}: ${targets} ${first.artifact?.verified === false ? 'run the new binary, as read back from the server' : 'verified running the new binary'}, one namespace after another.`;
    case 'unchanged':
      return `## ➖ Unchanged: ${what} was already in place in ${spread}${mark}\n\n${where}: nothing was written; ${targets} verified.`;
    case 'dry-run':
      return `## 📝 Planned — nothing written: ${what} in ${spread}${mark}\n\n${where}: the changes below are what applying this plan writes, namespace by namespace. A saved plan holds one namespace: to approve a plan before it is applied, plan each namespace in a run of its own.`;
    case 'rolled-back':
      return `## ↩️ Rolled back: ${what} failed ${stopped}${mark}\n\n${where}: every mount the rollout touched, in every namespace, runs its previous version again, verified.`;
    case 'failed':
      return `## ❌ Failed: ${what} in ${spread}${mark}\n\n${where}: stopped ${stopped}. Each namespace below says where its mounts are now.`;
  }
}
