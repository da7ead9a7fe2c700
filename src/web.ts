import { Agent, ProxyAgent, request, type Dispatcher } from 'undici';
import { proxyFor } from './proxy.ts';

const agents = new Map<string, Dispatcher>();

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
    // Never undici's global dispatcher: under Node 24 that is Node's own built-in undici, a second copy to load.
    dispatcher = proxy ? new ProxyAgent(proxy) : new Agent();
    agents.set(proxy, dispatcher);
  }
  return request(url, { headers, dispatcher });
}

/** undici reports "fetch failed"-style errors and keeps the reason (refused, TLS, DNS) in `cause`. */
export function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}
