import { describeTarget } from '../domain/plugin.ts';
import type { Evidence, TargetOutcome, TargetResult } from '../rollout/verify.ts';
import { wroteAnything } from '../rollout/apply.ts';
import { stateAfterFailure, writesMade } from './writes.ts';
import { rolloutDiagram } from './diagram.ts';
import { leftBehind } from './left-behind.ts';
import { briefError } from './error-text.ts';
import { code, details, escapeText, fence, seconds, shortHash, table } from './markdown.ts';
import { runStatus, type RunReport } from '../rollout/run-report.ts';
import { STAGE_LABEL } from './stages.ts';
import { artifactSection, serverSection } from './provenance-section.ts';
import { rollbackHowTo } from './rollback-advice.ts';
import { targetType } from './target-type.ts';
import { planSection } from './plan-section.ts';
import { planTable } from './plan-table.ts';

const RESULT_MARK: Record<TargetResult, string> = {
  updated: '✅ updated',
  unchanged: '➖ unchanged',
  failed: '❌ failed',
  'not-started': '⏸️ not started',
  'rolled-back': '↩️ rolled back',
  unknown: '❔ unknown',
};

const EVIDENCE: Record<Evidence, string> = {
  sha256: 'running SHA-256',
  builtin: 'builtin, no hash',
  'running-version': 'running version',
  'configured-version': 'configured version',
  probe: 'probe',
};

/**
 * The job summary, for a release manager with five seconds: the status line,
 * the mount table, then what to do next (roll back, or where things stand after
 * a failure), a picture of the rollout, and the details folded away.
 */
export function renderSummary(report: RunReport): string {
  const unverified = report.artifact?.verified === false;
  return document([
    ...namespaceParts(
      report,
      unverified ? unverifiedBlock(report.artifact?.asset ?? '') : '',
      true,
    ),
    artifactSection(report),
    details('Plan and writes', planDetails(report)),
  ]);
}

export function document(parts: readonly string[]): string {
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

/**
 * What one namespace's rollout did, from its headline to its picture and the
 * server it ran on. The way back is the whole run's when it has several
 * namespaces: the rollback workflow rolls every namespace it names.
 */
export function namespaceParts(report: RunReport, warning: string, alone: boolean): string[] {
  const status = runStatus(report);
  return [
    headline(report),
    warning,
    report.error ? errorBlock(report) : '',
    report.targets.length > 0 ? mountTable(report) : '',
    status === 'failed' && wroteAnything(report.record) ? serversNow(report) : '',
    status === 'rolled-back' ? leftBehind(report) : '',
    status === 'rolled-out' && alone ? rollbackHowTo(report) : '',
    alone ? planSection(report) : '',
    !alone && report.dryRun && report.plan ? `### Plan\n\n${planTable(report.plan)}` : '',
    `### Rollout\n\n${fence('mermaid', rolloutDiagram(report))}\n\n${timings(report)}`,
    serverSection(report),
  ];
}

/** Stopped for another namespace's failure, before anything was written to this one. */
export function notStarted(report: RunReport): boolean {
  return Boolean(report.error?.from) && !wroteAnything(report.record);
}

function headline(report: RunReport): string {
  const what =
    `${code(report.pluginName || 'plugin')} ${report.version ? code(report.version) : ''}`.trim();
  const mark = report.artifact?.verified === false ? ' — unverified' : '';
  // Until the inputs are read, neither the server nor the plugin type is known.
  const where = report.server
    ? `${report.pluginType} plugin on ${code(report.server)}${report.namespace ? ` (namespace ${code(report.namespace)})` : ''}: `
    : '';
  const count = report.targets.length;
  const mounts = `${count} ${targetType(report) === 'database' ? 'connection' : 'mount'}${count === 1 ? '' : 's'}`;
  const from = report.error?.from;
  if (from && notStarted(report)) {
    return `## ⏸️ Not started: ${what}${mark}\n\n${where}the run stopped in ${escapeText(from)} first; nothing was written here.`;
  }
  if (from && runStatus(report) === 'rolled-back') {
    return `## ↩️ Rolled back: ${what}, as the rollout in ${escapeText(from)} failed${mark}\n\n${where}every mount the rollout touched runs its previous version again, verified.`;
  }
  const unverified = report.artifact?.verified === false;
  const run = count === 1 ? 'runs' : 'run';
  switch (runStatus(report)) {
    case 'rolled-out':
      return `## ✅ Rolled out ${what}${mark}\n\n${where}${unverified ? `${mounts} ${run} the new binary, as read back from the server; nothing vouched for the binary itself.` : `${mounts} verified running the new binary.`}`;
    case 'unchanged':
      return `## ➖ Unchanged: ${what} was already in place${mark}\n\n${where}nothing was written; ${unverified ? `${mounts} ${run} it, as read back from the server.` : `${mounts} verified.`}`;
    case 'dry-run':
      return `## 📝 Planned — nothing written: ${what}${mark}\n\n${where}the changes below are what applying this plan writes.`;
    case 'rolled-back':
      return `## ↩️ Rolled back: ${what} failed at the ${report.error?.stage ?? ''} stage${mark}\n\n${where}every mount the rollout touched runs its previous version again, verified.`;
    case 'failed':
      return `## ❌ Failed: ${what}${mark}\n\n${where ? `${where}stopped` : 'Stopped'} at the ${report.error?.stage ?? ''} stage${report.server ? '' : ', before any server was contacted'}. ${stateAfterFailure(report)}`;
  }
}

export function unverifiedBlock(asset: string): string {
  return `> [!WARNING]\n> **Unverified.** Nothing vouched for ${code(asset)}: no checksums file, no \`sha256\`, no signature and no attestation. \`allow-unverified: true\` let it through.`;
}

function errorBlock(report: RunReport): string {
  return `> [!CAUTION]\n> ${escapeText(briefError(report.error?.message ?? ''))}`;
}

interface Column {
  header: string;
  cell(m: TargetOutcome): string;
}

/** One row per mount or connection; a per-node column slots in after the first once nodes are reported. */
function mountTable(report: RunReport): string {
  const type = targetType(report);
  const columns: Column[] = [
    {
      header: type === 'database' ? 'Connection' : 'Mount',
      cell: (m) => code(describeTarget(type, m.path)),
    },
    { header: 'Before', cell: (m) => versionCell(m.previous) },
    { header: 'Target', cell: (m) => versionCell(m.target) },
    { header: 'Running now', cell: runningCell },
    { header: 'Running SHA-256', cell: (m) => shortHash(m.runningSha256) },
    { header: 'Proven by', cell: (m) => m.evidence.map((e) => EVIDENCE[e]).join(' + ') || '—' },
    {
      header: 'Result',
      cell: (m) =>
        m.problem ? `${RESULT_MARK[m.result]}: ${escapeText(m.problem)}` : RESULT_MARK[m.result],
    },
  ];
  if (report.targets.some((m) => m.nodes.length > 0))
    columns.push({ header: 'Nodes', cell: nodesCell });
  return table(
    columns.map((c) => c.header),
    report.targets.map((m) => columns.map((c) => c.cell(m))),
  );
}

/** Each node's own answer: how many run the expected binary, and which do not, with what they run. */
function nodesCell(m: TargetOutcome): string {
  const good = m.nodes.filter((n) => !n.problem).length;
  const bad = m.nodes
    .filter((n) => n.problem)
    .map(
      (n) =>
        `${code(n.node)} runs ${n.runningVersion ? code(n.runningVersion) : 'nothing'} ${shortHash(n.runningSha256)}`,
    );
  return [`${good}/${m.nodes.length} ${bad.length === 0 ? '✅' : '❌'}`, ...bad].join('<br>');
}

/**
 * After a failure that wrote something: what each mount runs now and, where
 * it differs, what it is configured for — the version its next start loads.
 */
function serversNow(report: RunReport): string {
  const type = targetType(report);
  const groups = new Map<string, { configured: string; running: string; paths: string[] }>();
  for (const m of report.targets) {
    const configured = m.version && m.version !== m.runningVersion ? m.version : '';
    const key = `${configured} ${m.runningVersion}`;
    const group = groups.get(key) ?? { configured, running: m.runningVersion, paths: [] };
    group.paths.push(code(describeTarget(type, m.path)));
    groups.set(key, group);
  }
  const which = (version: string): string =>
    version === report.version
      ? ' (the new version)'
      : report.targets.some((m) => m.previous === version && version)
        ? ' (the previous version)'
        : '';
  // A pin decides what a start loads, whatever the mount is configured for.
  const pinned = report.plan?.pinned || report.plan?.pin;
  const lines = ['### Where the servers are now', ''];
  for (const { configured, running, paths } of groups.values()) {
    const runs = `running ${running ? code(running) : 'no version'}${which(running)}`;
    lines.push(
      configured
        ? `- configured for ${code(configured)}${which(configured)}, ${runs}${pinned ? '' : `; the next reload or restart starts ${code(configured)}`}: ${paths.join(', ')}`
        : `- ${runs}: ${paths.join(', ')}`,
    );
  }
  if (report.record.registered) {
    lines.push(`- ${code(report.version)} stays registered in the catalog`);
  }
  return lines.join('\n');
}

function versionCell(version: string): string {
  return version ? code(version) : '—';
}

/** What runs, and what the next start would load when that differs. */
function runningCell(m: TargetOutcome): string {
  const running = versionCell(m.runningVersion);
  return m.version && m.version !== m.runningVersion
    ? `${running} (configured ${code(m.version)})`
    : running;
}

function timings(report: RunReport): string {
  if (report.timings.length === 0) return '';
  const total = report.timings.reduce((sum, t) => sum + t.ms, 0);
  const each = report.timings.map((t) => `${STAGE_LABEL[t.stage]} ${seconds(t.ms)}`);
  return `Time per stage: ${each.join(' · ')} · **total ${seconds(total)}**`;
}

export function planDetails(report: RunReport): string {
  const sections: string[] = [];
  if (report.plan) sections.push(planTable(report.plan));
  const { known, unknown } = writesMade(report.record);
  sections.push(
    known.length > 0 || unknown.length > 0
      ? [
          known.length > 0 ? `Writes made: ${known.join('; ')}.` : '',
          unknown.length > 0 ? `Sent, answer lost: ${unknown.join('; ')}.` : '',
        ]
          .filter(Boolean)
          .join(' ')
      : 'Nothing was written to the server.',
  );
  if (report.record.reloadIds.length > 0) {
    sections.push(`Reload ids: ${report.record.reloadIds.map(code).join(', ')}`);
  }
  return sections.join('\n\n');
}
