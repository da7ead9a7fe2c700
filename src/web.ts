import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { ArtifactError } from './errors.ts';
import { proxyFor } from './proxy.ts';

const agents = new Map<string, Dispatcher>();
const MAX_REDIRECTS = 5;

/**
 * One GET to GitHub or to wherever an artifact lives, through the runner's
 * proxy when HTTPS_PROXY / HTTP_PROXY applies to that host, as Vault traffic
 * is. Redirects are left to the caller, which decides where a token may go.
 */
export function webGet(
  url: URL,
  headers: Record<string, string>,
): Promise<Dispatcher.ResponseData> {
  const proxy = proxyFor(url, process.env);
  let dispatcher = agents.get(proxy);
  if (!dispatcher) {
    dispatcher = proxy ? new ProxyAgent(proxy) : new Agent();
    agents.set(proxy, dispatcher);
  }
  return request(url, { headers, dispatcher });
}

export interface FollowedGet {
  headers: Record<string, string>;
  /** Sent as a bearer token, and only to the origin of the first URL. */
  token?: string;
  /** Names the request in errors, e.g. `download of acme.zip`. */
  what: string;
}

/**
 * A GET that follows redirects by hand: the token goes only to the origin it
 * was meant for (GitHub sends assets on to signed storage URLs, and the API
 * calls of a renamed repository to its new path), and a redirect from https
 * to plain http is refused, since it would drop the transport's integrity.
 * Returns the first answer that is not a redirect, with the URL that gave it.
 */
export async function followGet(
  start: URL,
  options: FollowedGet,
): Promise<{ response: Dispatcher.ResponseData; url: URL }> {
  let url = start;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers = { ...options.headers };
    if (options.token && url.origin === start.origin) {
      headers.authorization = `Bearer ${options.token}`;
    }
    let response: Dispatcher.ResponseData;
    try {
      response = await webGet(url, headers);
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
