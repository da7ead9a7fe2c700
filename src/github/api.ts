import { getOctokit } from '@actions/github';
import { ArtifactError } from '../domain/errors.ts';
import { apiFetch } from '../http/get.ts';

export type GitHub = ReturnType<typeof getOctokit>;

/** The REST API version every call asks for, so a change of GitHub's default cannot change an answer. */
const API_VERSION = '2022-11-28';

/** Who a GitHub call needs: the API base (GITHUB_API_URL, or a GitHub Enterprise Server's /api/v3) and the token. */
export interface GitHubAccess {
  apiUrl: string;
  githubToken: string;
}

/**
 * Octokit for one API base. Its requests go through the action's own
 * `fetch` (src/web.ts), so they take the runner's proxy as Vault traffic
 * does, follow a renamed repository's redirects, refuse https to http, and
 * carry the token only to the API's own origin.
 */
export function githubClient(access: GitHubAccess, what: string): GitHub {
  if (!access.githubToken) {
    throw new ArtifactError(
      `github-token: empty; reading ${what} needs a token (the default is the workflow token, github.token)`,
    );
  }
  const baseUrl = access.apiUrl.replace(/\/+$/, '');
  if (!URL.canParse(baseUrl)) {
    throw new ArtifactError(`GITHUB_API_URL: "${access.apiUrl}" is not a URL`);
  }
  const octokit = getOctokit(access.githubToken, {
    baseUrl,
    userAgent: 'vault-plugin-rollout',
    request: { fetch: apiFetch(new URL(baseUrl).origin) },
  });
  octokit.hook.before('request', (options) => {
    options.headers['x-github-api-version'] = API_VERSION;
  });
  return octokit;
}

/** The Authorization header of a download that starts at the API, and the one origin it may go to. */
export function apiCredential(access: GitHubAccess): { authorization: string; origin: string } {
  return {
    authorization: `token ${access.githubToken}`,
    origin: new URL(access.apiUrl).origin,
  };
}

export type Answer<T> = { ok: true; data: T } | { ok: false; status: number; message: string };

/**
 * One Octokit call. A status GitHub answered with comes back for the caller
 * to judge (a 404 is often an answer, not a failure), with GitHub's own
 * message; a call that got no answer is an ArtifactError naming `what`.
 */
export async function ask<T>(what: string, call: () => Promise<{ data: T }>): Promise<Answer<T>> {
  try {
    return { ok: true, data: (await call()).data };
  } catch (error) {
    const failed = error as { status?: unknown; response?: { data?: unknown }; cause?: unknown };
    if (typeof failed.status === 'number' && failed.response) {
      const message = (failed.response.data as { message?: unknown } | null | undefined)?.message;
      return {
        ok: false,
        status: failed.status,
        message: typeof message === 'string' ? message : `HTTP ${failed.status}`,
      };
    }
    const reason = failed.cause instanceof Error ? failed.cause : error;
    throw new ArtifactError(
      `${what}: ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  }
}
