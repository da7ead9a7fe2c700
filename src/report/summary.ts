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
  'rolled-back': '↩️ rolled back',
};

/** The job summary: status first, then mounts, then provenance, then details folded away. */
export function renderSummary(report: RunReport): string {
  const parts = [headline(report)];
  if (report.error) parts.push(errorBlock(report));
  if (report.mounts.length > 0) parts.push(mountTable(report));
  if (report.dryRun && report.plan) parts.push(`### Plan\n\n${planTable(report.plan)}`);
  parts.push(serverSection(report));
  parts.push(provenance(report));
  parts.push(details('Plan, writes and timings', planDetails(report)));
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function headline(report: RunReport): string {
  const what =
    `${code(report.pluginName || 'plugin')} ${report.version ? code(report.version) : ''}`.trim();
  const where = `${report.pluginType} plugin on ${code(report.server || 'the server')}${report.namespace ? ` (namespace ${code(report.namespace)})` : ''}`;
  const count = report.mounts.length;
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

function stateAfterFailure(report: RunReport): string {
  const record: ApplyRecord = report.record;
  if (!wroteAnything(record)) return 'Nothing was written to the server.';
  const done: string[] = [];
  if (record.placedFile) done.push(`placed ${code(record.placedFile)}`);
  if (record.registered) done.push('registered the version');
  if (record.tuned.length > 0) done.push(`tuned ${record.tuned.map(code).join(', ')}`);
  if (record.reloaded.length > 0) done.push(`reloaded ${record.reloaded.map(code).join(', ')}`);
  const rollback = report.rollback
    ? ` The automatic rollback failed too: ${escapeText(report.rollback.error)}.`
    : ' Automatic rollback was off.';
  return `Writes made before the failure: ${done.join('; ')}.${rollback} The table shows what each mount runs now.`;
}

function errorBlock(report: RunReport): string {
  return `> [!CAUTION]\n> ${escapeText(report.error?.message ?? '')}`;
}

function mountTable(report: RunReport): string {
  const type =
    report.pluginType === 'database'
      ? 'database'
      : report.pluginType === 'auth'
        ? 'auth'
        : 'secret';
  const rows = report.mounts.map((m: MountOutcome) => [
    code(describeMount(type, m.path)),
    versionCell(m.previous),
    versionCell(m.target),
    versionCell(m.runningVersion),
    shortHash(m.runningSha256),
    m.problem ? `${RESULT_MARK[m.result]}: ${escapeText(m.problem)}` : RESULT_MARK[m.result],
  ]);
  const what = type === 'database' ? 'Connection' : 'Mount';
  return table([what, 'Before', 'Target', 'Running', 'Running SHA-256', 'Result'], rows);
}

function versionCell(version: string): string {
  return version ? code(version) : '—';
}

function serverSection(report: RunReport): string {
  if (!report.serverIdentity && !report.login) return '';
  const lines = ['### Server'];
  if (report.serverIdentity) lines.push(`- ${escapeText(report.serverIdentity)}`);
  if (report.login) lines.push(`- Login: ${escapeText(report.login)}`);
  return lines.join('\n');
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
  if (a.attestation?.status === 'verified') {
    lines.push(
      `- Attestation: build provenance (${code(a.attestation.predicateType)}) verified, signed by ${code(a.attestation.signer)}`,
    );
  } else if (a.attestation) {
    lines.push(
      `- Attestation: none published in ${escapeText(a.attestation.repository)} (optional, not required)`,
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
  if (report.record.reloadIds.length > 0) {
    sections.push(`Reload ids: ${report.record.reloadIds.map(code).join(', ')}`);
  }
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
    ...plan.mounts.map((m) => [
      code(describeMount(plan.pluginType, m.path)),
      m.action === 'tune'
        ? `tune ${m.from ? code(m.from) : 'unversioned'} → ${code(m.to)}, reload`
        : m.action === 'reload'
          ? 'reload (configured, not yet running)'
          : 'nothing to do',
    ]),
  ];
  const batches = plan.batches.map((batch, index) => {
    const label = index === 0 && plan.canary ? 'canary' : `batch ${index + 1}`;
    return `${index + 1}. ${label}: ${batch.map((path) => code(describeMount(plan.pluginType, path))).join(', ')}`;
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
