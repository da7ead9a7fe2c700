// After an automatic rollback the mounts are back, but the failed version's
// catalog entry and plugin file are not removed: the summary says what stays
// and gives the commands that remove what this run added.
import { code, fence } from './markdown.ts';
import type { RunReport } from '../rollout/run-report.ts';
import { shellWord } from './quote.ts';

export function leftBehind(report: RunReport): string {
  const { record, plan, version } = report;
  const lines: string[] = [];
  const commands: string[] = [];
  if (record.registered) {
    lines.push(`- ${code(version)} stays registered in the catalog; this run registered it.`);
    commands.push(
      ['vault', 'plugin', 'deregister', `-version=${version}`, report.pluginType, report.pluginName]
        .map(shellWord)
        .join(' '),
    );
  } else if (plan?.catalog === 'present') {
    lines.push(`- ${code(version)} stays registered in the catalog, as it was before this run.`);
  }
  if (record.placedFile) {
    lines.push(
      `- Its file ${code(record.placedFile)} stays in the plugin directory; this run placed it.`,
    );
    commands.push(['rm', '--', record.placedFile].map(shellWord).join(' '));
  }
  if (lines.length === 0) return '';
  const removal =
    commands.length > 0
      ? [
          '',
          'To remove what this run added (the file on the machine that holds the plugin directory):',
          '',
          fence('sh', commands.join('\n')),
        ]
      : [];
  return ['### Left behind', '', ...lines, ...removal].join('\n');
}
