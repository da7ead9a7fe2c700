import { ArtifactError } from '../errors.ts';
import { followGet } from '../web.ts';

export interface GitHubAnswer<T> {
  status: number;
  /** The parsed body of a 2xx answer. */
  data: T | undefined;
  /** GitHub's own `message` for an error answer, or the bare status. */
  message: string;
}

/**
 * One GET of GitHub's REST API. A plain request, not a client library: the
 * action asks GitHub at most a few questions, and loading a full client
 * would cost more start-up time than every question together.
 */
export async function githubGet<T>(
  apiUrl: string,
  path: string,
  token: string,
  what: string,
): Promise<GitHubAnswer<T>> {
  const url = new URL(`${apiUrl.replace(/\/+$/, '')}${path}`);
  const { response } = await followGet(url, {
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'vault-plugin-rollout',
    },
    token,
    what,
  });
  const status = response.statusCode;
  const text = await response.body.text();
  const body = parseJson(text);
  if (status >= 200 && status < 300) {
    if (body === undefined) {
      throw new ArtifactError(`${what}: GitHub answered ${status} with a body that is not JSON`);
    }
    return { status, data: body as T, message: '' };
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return {
    status,
    data: undefined,
    message: typeof message === 'string' ? message : `HTTP ${status}`,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
