// The job's GitHub OIDC token, which `method: jwt` logs in with.
import { AuthError } from '../domain/errors.ts';

export interface OidcDeps {
  env: Readonly<Record<string, string | undefined>>;
  getIDToken(audience?: string): Promise<string>;
  /** Masks the token the moment it exists. */
  mask(value: string): void;
  /** How often to ask: GitHub's token endpoint fails now and then. */
  attempts: number;
  /** Waits before the next attempt. */
  pause(attempt: number): Promise<void>;
}

export async function githubIdToken(audience: string, deps: OidcDeps): Promise<string> {
  if (!deps.env.ACTIONS_ID_TOKEN_REQUEST_URL || !deps.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
    throw new AuthError(
      'method jwt: this job cannot request a GitHub OIDC token; add "permissions: id-token: write" to the job (pull requests from forks never get one)',
    );
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const token = await deps.getIDToken(audience || undefined);
      deps.mask(token);
      return token;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (attempt >= deps.attempts) {
        throw new AuthError(
          `method jwt: GitHub did not issue an OIDC token after ${attempt} attempts: ${reason}`,
        );
      }
      await deps.pause(attempt);
    }
  }
}
