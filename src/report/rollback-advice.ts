import { describeTarget } from '../domain/plugin.ts';
import type { RunReport } from '../rollout/run-report.ts';
import { isBuiltinVersion } from '../vault/catalog.ts';
import { code, fence, link } from './markdown.ts';
import { shellWord } from './quote.ts';
import { targetType } from './target-type.ts';

/**
 * After a success: the exact way back, as the rollback workflow and as a
 * command. Mounts that came from different versions go back in one run per
 * version, each naming its mounts, which the rollback workflow passes on.
 */
export function rollbackHowTo(report: RunReport): string {
  const type = targetType(report);
  const byVersion = new Map<string, string[]>();
  for (const m of report.targets) {
    if (m.result !== 'updated' || m.previous === m.target) continue;
    byVersion.set(m.previous, [...(byVersion.get(m.previous) ?? []), m.path]);
  }
  if (byVersion.size === 0) return '';
  const listInput = type === 'database' ? 'connections' : 'mounts';
  const shown = (paths: string[]): string =>
    paths.map((path) => code(describeTarget(type, path))).join(', ');
  const lines = ['### Roll back', ''];
  const workflow = report.rollbackWorkflow;
  for (const [version, paths] of byVersion) {
    if (!version) {
      lines.push(
        `- ${shown(paths)} ran the plugin without a version before; tune ${paths.length === 1 ? 'it' : 'them'} back by hand with an empty plugin version.`,
      );
      continue;
    }
    // A builtin version cannot be given as `version`; going back to one is its own kind of run.
    if (isBuiltinVersion(version)) {
      lines.push(
        `- ${shown(paths)} ran the builtin ${code(version)} before; go back with a run of this action with \`revert-to-builtin: true\` and these \`${listInput}\`.`,
      );
      continue;
    }
    const name = workflow ? link(workflow.file, workflow.url) : 'the rollback workflow';
    const list =
      paths.length === 1 ? code(paths[0] ?? '') : `${paths.map(code).join(', ')}, one a line`;
    lines.push(
      `- ${shown(paths)}: run ${name} with \`version\` ${code(version)} and \`${listInput}\` ${list}`,
    );
  }
  const versions = [...byVersion].filter(([version]) => version && !isBuiltinVersion(version));
  if (workflow && versions.length > 0) {
    const commands = versions.map(([version, paths]) =>
      [
        'gh',
        'workflow',
        'run',
        workflow.file,
        '--repo',
        workflow.repository,
        '-f',
        `version=${version}`,
        '-f',
        `${listInput}=${paths.join('\n')}`,
      ]
        .map(shellWord)
        .join(' '),
    );
    lines.push('', fence('sh', commands.join('\n')));
  }
  const gone = versions
    .map(([version]) => version)
    .filter((v) => report.record.deregistered.includes(v));
  const kept = versions.map(([version]) => version).filter((v) => !gone.includes(v));
  if (kept.length > 0) {
    lines.push(
      '',
      `${kept.map(code).join(', ')} ${kept.length === 1 ? 'stays' : 'stay'} registered, so a rollback to ${kept.length === 1 ? 'it' : 'them'} only tunes, reloads and verifies.`,
    );
  }
  if (gone.length > 0) {
    lines.push(
      '',
      `${gone.map(code).join(', ')} ${gone.length === 1 ? 'was' : 'were'} deregistered by this run, so a rollback to ${gone.length === 1 ? 'it' : 'them'} registers ${gone.length === 1 ? 'it' : 'them'} again from ${gone.length === 1 ? 'its release' : 'their releases'} first.`,
    );
  }
  return lines.join('\n');
}
