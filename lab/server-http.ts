// Calls a lab server's HTTP API, as root or exactly as sent.

export type ApiCall = <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
) => Promise<T | null>;

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP API call exactly as sent: redirects are not followed, so a
 * standby's 307 to the active node stays visible.
 */
export async function rawCall(
  address: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(`${address}/v1/${path}`, {
    method,
    redirect: 'manual',
    headers: { 'x-vault-token': token, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Calls the HTTP API as root; throws on any status >= 300 except a 404 on GET, which returns null. */
export function rootApi(address: string, token: string): ApiCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T | null> => {
    const { status, text } = await rawCall(address, token, method, path, body);
    if (status === 404 && method === 'GET') return null;
    if (status >= 300) throw new Error(`${method} ${path}: ${status} ${text}`);
    return text ? (JSON.parse(text) as T) : null;
  };
}
