import { ConfigError } from '../domain/errors.ts';
import { readPlanInput } from '../inputs/plan-input.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import type { Host } from './host.ts';
import { parseSavedPlan } from './saved-plan.ts';
import { checkInputs } from './saved-plan-check.ts';
import { isRunUrl, type SavedPlan } from './saved-plan-shape.ts';

// What passes from the job that plans to the job that applies: the plan,
// and the run that made it.

/** The plan the `plan` input gives, checked against this run's inputs; `null` without one. */
export async function planToApply(host: Host, config: RolloutConfig): Promise<SavedPlan | null> {
  const text = await readPlanInput(host.inputs, host.context);
  if (text === null) return null;
  if (config.namespaces.length > 1) {
    throw new ConfigError(
      `plan: a saved plan holds one namespace, but namespace lists ${String(config.namespaces.length)}; apply it with the namespace it was made in`,
    );
  }
  const saved = parseSavedPlan(text);
  checkInputs(saved, config);
  return saved;
}

/** This workflow run's page, which a plan links back to; empty outside a run. */
export function thisRun(host: Host): string {
  const { serverUrl, repository } = host.workflow;
  const url = `${serverUrl.replace(/\/+$/, '')}/${repository}/actions/runs/${host.context.env.GITHUB_RUN_ID ?? ''}`;
  return isRunUrl(url) ? url : '';
}
