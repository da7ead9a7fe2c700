import * as core from '@actions/core';
import { workflowRun } from './github/event.ts';
import type { InputSource, RunContext } from './inputs/source.ts';
import { log } from './report/log.ts';
import { publish } from './report/publish.ts';
import { urlSecrets } from './report/redact.ts';
import type { Host } from './rollout/host.ts';
import { runRollout } from './rollout/run.ts';

/** Credentials in a URL input (an artifact at `https://user:password@host/…`) are masked the moment they are read. */
function readInput(name: string): string {
  const value = core.getInput(name);
  for (const secret of urlSecrets(value)) core.setSecret(secret);
  return value;
}

const inputs: InputSource = {
  get: readInput,
  secret: (name) => {
    const value = readInput(name);
    if (value) core.setSecret(value);
    return value;
  },
};

/** Wires the runner to the run; the only place that decides the step's exit status. */
export async function run(): Promise<void> {
  const workflow = workflowRun();
  const context: RunContext = {
    env: process.env,
    eventName: workflow.eventName,
    eventInputs: workflow.eventInputs,
    ref: workflow.ref,
    repository: workflow.repository,
    apiUrl: workflow.apiUrl,
    nodePlatform: process.platform,
    nodeArch: process.arch,
    mask: (value) => {
      core.setSecret(value);
    },
  };
  const host: Host = {
    inputs,
    context,
    workflow,
    group: (title, work) => core.group(title, work),
    getIDToken: (audience) => core.getIDToken(audience),
    debug: core.isDebug() ? log.debug : undefined,
    log,
  };
  const reports = await runRollout(host);
  if (reports.some((report) => report.error)) process.exitCode = core.ExitCode.Failure;
  await publish(reports, process.env.GITHUB_STEP_SUMMARY);
}
