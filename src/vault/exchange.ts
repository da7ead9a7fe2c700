// One attempt of one call: the request as the server must see it, and what came back.
import { request, type Dispatcher } from 'undici';

export type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/** What every attempt of a client shares. */
export interface ExchangeContext {
  namespace: string;
  dispatcher: Dispatcher;
  requestTimeoutMs: number;
  clock: { now(): number };
  debug: ((line: string) => void) | undefined;
}

export type Attempt =
  | { kind: 'response'; status: number; text: string; location: string }
  | { kind: 'error'; error: unknown };

interface Exchange {
  method: Method;
  url: URL;
  body: unknown;
  root: boolean;
  deadline: number;
}

export async function exchange(
  context: ExchangeContext,
  token: string,
  { method, url, body, root, deadline }: Exchange,
): Promise<Attempt> {
  const { requestTimeoutMs, clock, dispatcher, namespace, debug } = context;
  const headers: Record<string, string> = { 'x-vault-request': 'true' };
  if (token) headers['x-vault-token'] = token;
  // The catalog, pins, logins and server identity live in the root namespace.
  if (namespace && !root) headers['x-vault-namespace'] = namespace;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const budget = Math.max(1, Math.min(requestTimeoutMs, deadline - clock.now()));
  const started = clock.now();
  const took = (): string => `${String(Math.round(clock.now() - started))} ms`;
  try {
    const response = await request(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher,
      signal: AbortSignal.timeout(budget),
    });
    const text = await response.body.text();
    debug?.(`${method} ${url.pathname}${url.search} → ${String(response.statusCode)} in ${took()}`);
    const location = response.headers.location;
    return {
      kind: 'response',
      status: response.statusCode,
      text,
      location: typeof location === 'string' ? location : '',
    };
  } catch (error) {
    debug?.(`${method} ${url.pathname}${url.search} → no answer in ${took()}`);
    return { kind: 'error', error };
  }
}

export function serverErrors(text: string): string[] {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      return parsed.errors
        .map((e) =>
          String(e)
            .replace(/\s*\n\s*/g, ' ')
            .trim(),
        )
        .filter(Boolean);
    }
  } catch {
    // Not JSON: a proxy or load balancer answered; show what it said.
  }
  return text.trim() ? [text.trim().slice(0, 300)] : [];
}
