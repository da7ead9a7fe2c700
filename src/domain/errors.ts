/** A problem with the action's inputs or environment, found before anything was written. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The release artifact could not be found, downloaded, trusted or unpacked. */
export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

/** The server state does not allow the rollout as asked (found before any write). */
export class PreflightError extends Error {
  override name = 'PreflightError';
}

/** The server changed between planning and writing: another rollout or a person acted meanwhile. */
export class DriftError extends Error {
  override name = 'DriftError';
}

/** After the writes, the servers do not run what the rollout asked for. */
export class VerificationError extends Error {
  override name = 'VerificationError';
}

/** A Vault or OpenBao API call that failed, with everything needed to act on it. */
export class VaultError extends Error {
  override name = 'VaultError';
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly serverErrors: readonly string[];
  /** Whether a write may have taken effect though the call failed: an answer was lost, or a 5xx. */
  readonly mayHaveApplied: boolean;

  constructor(
    method: string,
    path: string,
    status: number,
    serverErrors: readonly string[],
    note = '',
    mayHaveApplied = false,
  ) {
    const said = serverErrors.length > 0 ? `: ${serverErrors.join('; ')}` : '';
    // Status 0 is no answer at all; quoting it as one would mislead.
    const answered = status === 0 ? '' : ` answered ${status}`;
    super(`${method} /v1/${path}${answered}${said}${note ? ` (${note})` : ''}`);
    this.method = method;
    this.path = path;
    this.status = status;
    this.serverErrors = serverErrors;
    this.mayHaveApplied = mayHaveApplied;
  }
}

/** One line, safe for `setFailed` and annotations: no stack, no newlines. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The action could not log in to the server, or obtain what it logs in with. */
export class AuthError extends Error {
  override name = 'AuthError';
}
