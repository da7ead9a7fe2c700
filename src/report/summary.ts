import type { Plan } from '../rollout/plan.ts';
import { describeTarget } from '../domain/plugin.ts';
import type { Evidence, TargetOutcome, TargetResult } from '../rollout/verify.ts';
import { wroteAnything } from '../rollout/apply.ts';
import { stateAfterFailure, writesMade } from './writes.ts';
import { rolloutDiagram } from './diagram.ts';
import { code, details, escapeText, fence, link, seconds, shortHash, table } from './markdown.ts';
import { runStatus, type RunReport } from '../rollout/run-report.ts';
import { STAGE_LABEL } from './stages.ts';
import { artifactSection, serverSection } from './provenance-section.ts';
import { shellWord } from './quote.ts';

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
  const status = runStatus(report);
  const parts = [headline(report)];
  if (report.error) parts.push(errorBlock(report));
  if (report.targets.length > 0) parts.push(mountTable(report));
  if (status === 'failed' && wroteAnything(report.record)) parts.push(serversNow(report));
  if (status === 'rolled-out') parts.push(rollbackHowTo(report));
  if (report.dryRun && report.plan) parts.push(`### Plan\n\n${planTable(report.plan)}`);
  parts.push(`### Rollout\n\n${fence('mermaid', rolloutDiagram(report))}\n\n${timings(report)}`);
  parts.push(serverSection(report));
  parts.push(artifactSection(report));
  parts.push(details('Plan and writes', planDetails(report)));
  if (report.error) parts.push(details('Errors', errorDetails(report)));
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function headline(report: RunReport): string {
  const what =
    `${code(report.pluginName || 'plugin')} ${report.version ? code(report.version) : ''}`.trim();
  const where = `${report.pluginType} plugin on ${code(report.server || 'the server')}${report.namespace ? ` (namespace ${code(report.namespace)})` : ''}`;
  const count = report.targets.length;
  const mounts = `${count} mount${count === 1 ? '' : 's'}`;
  switch (runStatus(report)) {
    case 'rolled-out':
      return `## ✅ Rolled out ${what}\n\n${where}: ${mounts} verified running the new binary.`;
    case 'unchanged':
      return `## ➖ Unchanged: ${what} was already in place\n\n${where}: nothing was written; ${mounts} verified.`;
    case 'dry-run':
      return `## 📝 Dry run: ${what}\n\n${where}: the plan below was computed and nothing was written.`;
    case 'rolled-back':
      return `## ↩️ Rolled back: ${what} failed at the ${report.error?.stage ?? ''} stage\n\n${where}: every mount the rollout touched runs its previous version again, verified.`;
    case 'failed':
      return `## ❌ Failed: ${what}\n\n${where}: stopped at the ${report.error?.stage ?? ''} stage. ${stateAfterFailure(report)}`;
  }
}

function errorBlock(report: RunReport): string {
  return `> [!CAUTION]\n> ${escapeText(report.error?.message ?? '')}`;
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
    { header: 'Running now', cell: (m) => versionCell(m.runningVersion) },
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

function targetType(report: RunReport): 'secret' | 'auth' | 'database' {
  return report.pluginType === 'database' || report.pluginType === 'auth'
    ? report.pluginType
    : 'secret';
}

/** After a failure that wrote something: what each mount runs now, grouped by version. */
function serversNow(report: RunReport): string {
  const type = targetType(report);
  const groups = new Map<string, string[]>();
  for (const m of report.targets) {
    const key = m.runningVersion;
    groups.set(key, [...(groups.get(key) ?? []), code(describeTarget(type, m.path))]);
  }
  const lines = ['### Where the servers are now', ''];
  for (const [version, paths] of groups) {
    const which =
      version === report.version
        ? ' (the new version)'
        : report.targets.some((m) => m.previous === version && version)
          ? ' (the previous version)'
          : '';
    lines.push(`- running ${version ? code(version) : 'no version'}${which}: ${paths.join(', ')}`);
  }
  if (report.record.registered) {
    lines.push(`- ${code(report.version)} stays registered in the catalog`);
  }
  return lines.join('\n');
}

/** After a success: the exact way back, as the rollback workflow and as a command. */
function rollbackHowTo(report: RunReport): string {
  const type = targetType(report);
  const byVersion = new Map<string, string[]>();
  for (const m of report.targets) {
    if (m.result !== 'updated' || m.previous === m.target) continue;
    byVersion.set(m.previous, [
      ...(byVersion.get(m.previous) ?? []),
      code(describeTarget(type, m.path)),
    ]);
  }
  if (byVersion.size === 0) return '';
  const lines = ['### Roll back', ''];
  const workflow = report.rollbackWorkflow;
  for (const [version, paths] of byVersion) {
    if (!version) {
      lines.push(
        `- ${paths.join(', ')} ran the plugin without a version before; tune ${paths.length === 1 ? 'it' : 'them'} back by hand with an empty plugin version.`,
      );
      continue;
    }
    const run = workflow
      ? `run ${link(workflow.file, workflow.url)} with \`version\` ${code(version)}`
      : `run the rollback workflow with \`version\` ${code(version)}`;
    lines.push(`- ${paths.join(', ')}: ${run}`);
  }
  const versions = [...byVersion.keys()].filter(Boolean);
  if (workflow && versions.length > 0) {
    const commands = versions.map((v) =>
      ['gh', 'workflow', 'run', workflow.file, '--repo', workflow.repository, '-f', `version=${v}`]
        .map(shellWord)
        .join(' '),
    );
    lines.push('', fence('sh', commands.join('\n')));
  }
  lines.push(
    '',
    'The previous version stays registered, so a rollback only tunes, reloads and verifies.',
  );
  return lines.join('\n');
}

function versionCell(version: string): string {
  return version ? code(version) : '—';
}

function timings(report: RunReport): string {
  if (report.timings.length === 0) return '';
  const total = report.timings.reduce((sum, t) => sum + t.ms, 0);
  const each = report.timings.map((t) => `${STAGE_LABEL[t.stage]} ${seconds(t.ms)}`);
  return `Time per stage: ${each.join(' · ')} · **total ${seconds(total)}**`;
}

function planDetails(report: RunReport): string {
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

function errorDetails(report: RunReport): string {
  const lines = [
    `- ${STAGE_LABEL[report.error?.stage ?? 'config']}: ${escapeText(report.error?.message ?? '')}`,
  ];
  if (report.rollback) {
    lines.push(
      report.rollback.error
        ? `- Rollback: ${escapeText(report.rollback.error)}`
        : '- Rollback: every touched mount verified on its previous version',
    );
  }
  return lines.join('\n');
}

function planTable(plan: Plan): string {
  const rows = [
    [
      'plugin file',
      plan.pluginFile === 'copy'
        ? `copy to ${code(plan.command)}`
        : plan.pluginFile === 'present'
          ? 'already in place'
          : 'managed outside this action',
    ],
    [
      'catalog',
      plan.catalog === 'register' ? `register ${code(plan.version)}` : 'already registered',
    ],
    ...(plan.pin
      ? [
          [
            'pin',
            `move ${code(plan.pin.from)} → ${code(plan.pin.to)} (rolled back with the mounts)`,
          ],
        ]
      : []),
    ...(plan.prune.length > 0
      ? [['prune', `after every mount is verified, deregister ${plan.prune.map(code).join(', ')}`]]
      : []),
    ...plan.targets.map((m) => [
      code(describeTarget(plan.pluginType, m.path)),
      m.action === 'tune'
        ? `tune ${m.from ? code(m.from) : 'unversioned'} → ${code(m.to)}, reload`
        : m.action === 'reload'
          ? 'reload (configured, not yet running)'
          : 'nothing to do',
    ]),
  ];
  const batches = plan.batches.map((batch, index) => {
    const label = index === 0 && plan.canary ? 'canary' : `batch ${index + 1}`;
    return `${index + 1}. ${label}: ${batch.map((path) => code(describeTarget(plan.pluginType, path))).join(', ')}`;
  });
  const order =
    batches.length > 0
      ? `\n\nOrder, each step tuned, reloaded, verified before the next:\n\n${batches.join('\n')}`
      : '';
  const found = plan.discovered
    ? `\n\nFound on the server (mounts: all): ${plan.discovered.length} mount${plan.discovered.length === 1 ? '' : 's'}.`
    : '';
  return `${table(['Step', 'Action'], rows)}${order}${found}`;
}
