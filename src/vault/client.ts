import { Agent, request, type Dispatcher } from 'undici';
import { VaultError } from '../errors.ts';

export interface VaultClientOptions {
  address: string;
  token: string;
  namespace: string;
  dispatcher?: Dispatcher;
}

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

/**
 * The one place that speaks HTTP to Vault or OpenBao. Paths are relative to
 * `/v1/`; callers never build URLs or headers themselves.
 */
export class VaultClient {
  readonly address: string;
  readonly #headers: Record<string, string>;
  readonly #dispatcher: Dispatcher;

  constructor(options: VaultClientOptions) {
    this.address = options.address;
    this.#headers = { 'x-vault-token': options.token, 'x-vault-request': 'true' };
    if (options.namespace) this.#headers['x-vault-namespace'] = options.namespace;
    this.#dispatcher =
      options.dispatcher ??
      new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000, connect: { timeout: 10_000 } });
  }

  /** A read; `null` when the server answers 404. */
  async read<T>(path: string, query: Record<string, string> = {}): Promise<T | null> {
    return this.#call<T>('GET', path, undefined, query, true);
  }

  async write<T>(method: Exclude<Method, 'GET'>, path: string, body?: unknown): Promise<T | null> {
    return this.#call<T>(method, path, body, {}, false);
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  async #call<T>(
    method: Method,
    path: string,
    body: unknown,
    query: Record<string, string>,
    notFoundIsNull: boolean,
  ): Promise<T | null> {
    const url = new URL(`${this.address}/v1/${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const headers =
      body === undefined ? this.#headers : { ...this.#headers, 'content-type': 'application/json' };
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.#dispatcher,
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new VaultError(method, path, 0, [`no answer from ${this.address}: ${detail}`]);
    }
    const text = await response.body.text();
    if (response.statusCode === 404 && notFoundIsNull) return null;
    if (response.statusCode >= 400) {
      throw new VaultError(method, path, response.statusCode, serverErrors(text));
    }
    return text ? (JSON.parse(text) as T) : null;
  }
}

function serverErrors(text: string): string[] {
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
