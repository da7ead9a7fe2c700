import { context } from '@actions/github';

/** What the run that started the action tells the config, as @actions/github's `context` reads it. */
export interface WorkflowRun {
  eventName: string;
  /** The `inputs` of the event (a workflow_dispatch form); none for other events. */
  eventInputs: Record<string, unknown>;
  ref: string;
  /** owner/repo; empty outside a repository. */
  repository: string;
  /** GITHUB_API_URL, else github.com's: a GitHub Enterprise Server's ends in /api/v3. */
  apiUrl: string;
  serverUrl: string;
}

export function workflowRun(): WorkflowRun {
  const inputs: unknown = context.payload.inputs;
  // Whatever their types say, these are undefined when the runner set no GITHUB_EVENT_NAME / GITHUB_REF.
  const given = context as { eventName?: string; ref?: string };
  return {
    eventName: given.eventName ?? '',
    eventInputs:
      inputs !== null && typeof inputs === 'object' ? (inputs as Record<string, unknown>) : {},
    ref: given.ref ?? '',
    repository: repositoryOf(),
    apiUrl: context.apiUrl,
    serverUrl: context.serverUrl,
  };
}

/** `context.repo` throws when GITHUB_REPOSITORY is unset; the config then asks for release-repository. */
function repositoryOf(): string {
  try {
    const { owner, repo } = context.repo;
    return `${owner}/${repo}`;
  } catch {
    return '';
  }
}
