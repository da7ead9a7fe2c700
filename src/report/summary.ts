import type { ApplyRecord } from '../rollout/apply.ts';
import { describeMount, type Plan } from '../rollout/plan.ts';
import type { MountOutcome, MountResult } from '../rollout/verify.ts';
import { wroteAnything } from '../rollout/apply.ts';
import { code, details, escapeText, shortHash, table } from './markdown.ts';
import { runStatus, type RunReport } from './model.ts';
import { openBaoPluginBlock, registerCommand, registrationOf } from './provenance.ts';

const RESULT_MARK: Record<MountResult, string> = {
  updated: '✅ updated',
  unchanged: '➖ unchanged',
  failed: '❌ failed',
  'not-started': '⏸️ not started',
};

/** The job summary: status first, then mounts, then provenance, then details folded away. */
export function renderSummary(report: RunReport): string {
  const parts = [headline(report)];
  if (report.error) parts.push(errorBlock(report));
  if (report.mounts.length > 0) parts.push(mountTable(report));
  parts.push(provenance(report));
  parts.push(details('Plan, writes and timings', planDetails(report)));
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function headline(report: RunReport): string {
  const what =
    `${code(report.pluginName || 'plugin')} ${report.version ? code(report.version) : ''}`.trim();
  const where = `${report.pluginType} plugin on ${code(report.server || 'the server')}${report.namespace ? ` (namespace ${code(report.namespace)})` : ''}`;
  const count = report.mounts.length;
  switch (runStatus(report)) {
    case 'rolled-out':
      return `## ✅ Rolled out ${what}\n\n${where}: ${count} mount${count === 1 ? '' : 's'} verified running the new binary.`;
    case 'unchanged':
      return `## ➖ Unchanged: ${what} was already in place\n\n${where}: nothing was written; ${count} mount${count === 1 ? '' : 's'} verified.`;
    case 'failed':
      return `## ❌ Failed: ${what}\n\n${where}: stopped at the ${report.error?.stage ?? ''} stage. ${stateAfterFailure(report.record)}`;
  }
}

function stateAfterFailure(record: ApplyRecord): string {
  if (!wroteAnything(record)) return 'Nothing was written to the server.';
  const done: string[] = [];
  if (record.placedFile) done.push(`placed ${code(record.placedFile)}`);
  if (record.registered) done.push('registered the version');
  if (record.tuned.length > 0) done.push(`tuned ${record.tuned.map(code).join(', ')}`);
  if (record.reloaded.length > 0) done.push(`reloaded ${record.reloaded.map(code).join(', ')}`);
  return `Writes made before the failure: ${done.join('; ')}. The table shows what each mount runs now.`;
}

function errorBlock(report: RunReport): string {
  return `> [!CAUTION]\n> ${escapeText(report.error?.message ?? '')}`;
}

function mountTable(report: RunReport): string {
  const type = report.pluginType === 'auth' ? 'auth' : 'secret';
  const rows = report.mounts.map((m: MountOutcome) => [
    code(describeMount(type, m.path)),
    versionCell(m.previous),
    versionCell(m.target),
    versionCell(m.runningVersion),
    shortHash(m.runningSha256),
    m.problem ? `${RESULT_MARK[m.result]}: ${escapeText(m.problem)}` : RESULT_MARK[m.result],
  ]);
  return table(['Mount', 'Before', 'Target', 'Running', 'Running SHA-256', 'Result'], rows);
}

function versionCell(version: string): string {
  return version ? code(version) : '—';
}

function provenance(report: RunReport): string {
  const a = report.artifact;
  if (!a) return '';
  const lines = ['### Artifact'];
  if (a.origin.kind === 'release') {
    const pre = a.origin.prerelease ? ' (pre-release)' : '';
    lines.push(
      `- Release: [${escapeText(`${a.origin.repository}@${a.origin.tag}`)}](${a.origin.htmlUrl})${pre}, asset ${code(a.asset)} (${a.format})`,
    );
  } else if (a.origin.kind === 'url') {
    lines.push(`- Downloaded from ${code(a.origin.url)} (${a.format})`);
  } else {
    lines.push(`- Local file ${code(a.origin.path)} (${a.format})`);
  }
  if (a.format !== 'raw') lines.push(`- Asset SHA-256: ${code(a.assetSha256)}`);
  lines.push(`- Binary ${code(a.binaryName)} SHA-256: ${code(a.sha256)}`);
  lines.push(
    a.checksums
      ? `- Checksums: ${code(a.checksums.file)} confirms the ${a.checksums.covers.join(' and ')}`
      : '- Checksums: none published with the release',
  );
  if (a.signature) {
    lines.push(
      `- Signature: ${code(a.signature.file)}, good, by key ${code(a.signature.fingerprint)}`,
    );
  }
  if (a.pinned) lines.push('- The `sha256` input matches the binary');
  if (a.cached)
    lines.push('- Taken from the runner’s tool cache, verified earlier; not downloaded again');
  if (report.plan) {
    const catalog =
      report.plan.catalog === 'register'
        ? 'registered by this run'
        : 'already registered with this SHA-256';
    lines.push(`- Catalog: ${catalog}, command ${code(report.plan.command)}`);
  }
  const registration = registrationOf(report);
  if (registration) {
    lines.push(
      '',
      details(
        'Register it yourself',
        `Vault or OpenBao CLI:\n\n\`\`\`sh\n${registerCommand(registration)}\n\`\`\`\n\nOpenBao server configuration:\n\n\`\`\`hcl\n${openBaoPluginBlock(registration)}\n\`\`\``,
      ),
    );
  }
  return lines.join('\n');
}

function planDetails(report: RunReport): string {
  const sections: string[] = [];
  if (report.plan) sections.push(planTable(report.plan));
  if (report.record.reloadId) sections.push(`Reload id: ${code(report.record.reloadId)}`);
  if (report.timings.length > 0) {
    sections.push(
      table(
        ['Stage', 'Time'],
        report.timings.map((t) => [t.stage, `${(t.ms / 1000).toFixed(2)} s`]),
      ),
    );
  }
  return sections.join('\n\n') || 'No plan was made.';
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
    ...plan.mounts.map((m) => [
      code(describeMount(plan.pluginType, m.path)),
      m.action === 'tune'
        ? `tune ${m.from ? code(m.from) : 'unversioned'} → ${code(m.to)}, reload`
        : m.action === 'reload'
          ? 'reload (configured, not yet running)'
          : 'nothing to do',
    ]),
  ];
  return table(['Step', 'Action'], rows);
}
