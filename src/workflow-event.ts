import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.ts';

/**
 * The `inputs` of the event that started the run (a workflow_dispatch form),
 * from the payload the runner writes to GITHUB_EVENT_PATH. Outside a runner
 * there is no file and so no inputs.
 */
export function readEventInputs(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    const event = JSON.parse(text) as { inputs?: unknown } | null;
    const inputs = event?.inputs;
    return inputs !== null && typeof inputs === 'object' ? (inputs as Record<string, unknown>) : {};
  } catch {
    throw new ConfigError(`GITHUB_EVENT_PATH: "${path}" is not the JSON event payload`);
  }
}
