// Finds the workflow commands in a log as the GitHub Actions runner does.

export interface WorkflowCommand {
  name: string;
  /** The command and its properties, e.g. `error title=Rollout failed`. */
  info: string;
  data: string;
  /** The data as the runner decodes it: `%0D`, `%0A` and `%25` back to CR, LF and `%`. */
  value: string;
  line: string;
}

/** .NET's char.IsWhiteSpace, which the runner's TrimStart uses; JavaScript's \s lacks U+0085. */
const LEADING_SPACE = /^[\s\u0085]+/;

/**
 * Every workflow command the GitHub Actions runner would find in this
 * output, read as the runner reads it (actions/runner, ActionCommand.cs):
 * lines end at LF, CR or CRLF; `::name props::data` after leading
 * whitespace; and the older `##[name props]data` anywhere in a line. Every
 * name counts, registered or not, so a test sees an attempt as an attempt.
 */
export function workflowCommands(output: string): WorkflowCommand[] {
  const found: WorkflowCommand[] = [];
  for (const line of output.split(/\r\n|\r|\n/)) {
    const trimmed = line.replace(LEADING_SPACE, '');
    if (trimmed.startsWith('::')) {
      const end = trimmed.indexOf('::', 2);
      if (end >= 0) {
        const info = trimmed.slice(2, end);
        found.push(command(info, trimmed.slice(end + 2), line));
        continue;
      }
    }
    const start = line.indexOf('##[');
    const close = start < 0 ? -1 : line.indexOf(']', start);
    if (close >= 0) {
      const info = line.slice(start + 3, close);
      found.push(command(info, line.slice(close + 1), line));
    }
  }
  return found;
}

function command(info: string, data: string, line: string): WorkflowCommand {
  const space = info.indexOf(' ');
  const name = (space < 0 ? info : info.slice(0, space)).toLowerCase();
  const value = data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
  return { name, info, data, value, line };
}
