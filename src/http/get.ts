import { Agent, Headers, ProxyAgent, request, Response, type Dispatcher } from 'undici';
import { ArtifactError } from '../domain/errors.ts';
import { proxyFor } from './proxy.ts';

const agents = new Map<string, Dispatcher>();
const MAX_REDIRECTS = 5;
/** Statuses whose answer has no body; a Response refuses one for them. */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * One GET to GitHub or to wherever an artifact lives, through the runner's
 * proxy when HTTPS_PROXY / HTTP_PROXY applies to that host, as Vault traffic
 * is. Redirects are left to the caller, which decides where a token may go.
 */
export function webGet(
  url: URL,
  headers: Record<string, string>,
  signal?: AbortSignal,
): Promise<Dispatcher.ResponseData> {
  const proxy = proxyFor(url, process.env);
  let dispatcher = agents.get(proxy);
  if (!dispatcher) {
    dispatcher = proxy ? new ProxyAgent(proxy) : new Agent();
    agents.set(proxy, dispatcher);
  }
  return request(url, { headers, dispatcher, ...(signal ? { signal } : {}) });
}

export interface FollowedGet {
  headers: Record<string, string>;
  /**
   * The Authorization header's value and the one origin it may go to: the
   * GitHub API's. Every other host, wherever its address came from (a
   * redirect, a link, a response body), gets the request without it.
   */
  credential?: { authorization: string; origin: string };
  /** Names the request in errors, e.g. `download of acme.zip`. */
  what: string;
  /** Stops the request, and the reading of its body. */
  signal?: AbortSignal;
}

/**
 * A GET that follows redirects by hand: the credential goes only to its own
 * origin (GitHub sends assets on to signed storage URLs, and the API calls
 * of a renamed repository to its new path), and a redirect from https to
 * plain http is refused, since it would drop the transport's integrity.
 * Returns the first answer that is not a redirect, with the URL that gave it.
 */
export async function followGet(
  start: URL,
  options: FollowedGet,
): Promise<{ response: Dispatcher.ResponseData; url: URL }> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = { ...options.headers };
    if (options.credential && url.origin === options.credential.origin) {
      headers.authorization = options.credential.authorization;
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await webGet(url, headers, options.signal);
    } catch (error) {
      throw new ArtifactError(`${options.what} failed: ${networkReason(error)}`);
    }
    const location = response.headers.location;
    if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
      await response.body.dump();
      const next = new URL(location, url);
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new ArtifactError(
          `${options.what} was redirected from https to ${next.protocol}//${next.host}; refusing to go on unencrypted`,
        );
      }
      url = next;
      continue;
    }
    return { response, url };
  }
  throw new ArtifactError(`${options.what} failed: more than ${MAX_REDIRECTS} redirects`);
}

/**
 * The `fetch` Octokit is given: every GitHub API call goes through
 * followGet, so it takes the proxy and redirect rules of every other
 * request, and Octokit's Authorization header reaches only `apiOrigin`
 * (a renamed repository's 301 stays on it; a `Link` to the next page or
 * any other address GitHub names elsewhere does not get it). The action
 * only reads from GitHub, so anything but GET is refused.
 */
export function apiFetch(apiOrigin: string) {
  return async (
    input: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<Response> => {
    const url = new URL(input);
    const method = init.method ?? 'GET';
    if (method !== 'GET') {
      throw new ArtifactError(`${method} ${url.pathname}: the action only reads from GitHub`);
    }
    const headers: Record<string, string> = {};
    let authorization = '';
    for (const [name, value] of Object.entries(init.headers ?? {})) {
      if (name.toLowerCase() === 'authorization') authorization = value;
      else headers[name.toLowerCase()] = value;
    }
    const { response } = await followGet(url, {
      headers,
      ...(authorization ? { credential: { authorization, origin: apiOrigin } } : {}),
      what: `GitHub API call ${url.origin}${url.pathname}`,
    });
    const answerHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of [value ?? []].flat()) answerHeaders.append(name, one);
    }
    const status = response.statusCode;
    if (NO_BODY.has(status)) await response.body.dump();
    return new Response(NO_BODY.has(status) ? null : response.body, {
      status,
      headers: answerHeaders,
    });
  };
}

/**
 * The reason a request failed (refused, TLS, DNS). It may sit in `cause`, and
 * a refused dual-stack connection is an AggregateError with an empty message
 * whose reasons are its `errors`.
 */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  const reason = cause instanceof Error ? cause : error;
  if (reason instanceof AggregateError && !reason.message) {
    return reason.errors.map((e: unknown) => networkReason(e)).join('; ');
  }
  if (reason instanceof Error) {
    const code = (reason as { code?: unknown }).code;
    return reason.message || (typeof code === 'string' ? code : reason.name);
  }
  return String(reason);
}
