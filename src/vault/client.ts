import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher } from 'undici';
import { VaultError } from '../domain/errors.ts';
import {
  DEFAULT_RETRY,
  RETRY_STATUSES,
  appliedAfterStatus,
  backoffMs,
  classifyNetworkError,
  type Applied,
  type RetryPolicy,
} from './retry.ts';
import { judgeRedirect, type RedirectRule } from './redirects.ts';
import type { Route } from './routes.ts';
import { exchange, serverErrors, type Method } from './exchange.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export interface VaultClientOptions {
  address: string;
  token: string;
  namespace: string;
  /** The other nodes' API origins (the `nodes` input): a standby may redirect to one of them. */
  nodes?: readonly string[];
  dispatcher?: Dispatcher;
  retry?: RetryPolicy;
  /** The longest one attempt may take; by default a quarter of the call's, at most 30 s. */
  requestTimeoutMs?: number;
  /** The longest one call may take, its retries included. */
  callTimeoutMs?: number;
  /** When (clock time) the run's calls must end, whatever each call's own timeout allows. */
  deadline?: number;
  clock?: Clock;
  /** Told each attempt's method, path, status and time; never headers or bodies, which hold secrets. */
  debug?: (line: string) => void;
}

export interface WriteOptions {
  /**
   * When a response is lost the write may or may not have happened. `repeatable`
   * writes are sent again; otherwise `confirm` re-reads the server and says whether
   * the write took effect; without either the call fails rather than guess.
   */
  repeatable?: boolean;
  confirm?: () => Promise<boolean>;
  /** Whether the server's errors describe a fault asking again cannot cure, though its status is one worth retrying. */
  settled?: (serverErrors: readonly string[]) => boolean;
}

/** A route of the API, or a bare path in the request's namespace. */
type Target = Route | string;

/** What a call's last attempt keeps of its time at most, when the backoff before it is cut short. */
const LAST_ATTEMPT_MS = 1000;

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => sleep(ms),
  random: () => Math.random(),
};

interface Shared {
  address: string;
  namespace: string;
  nodes: readonly string[];
  dispatcher: Dispatcher;
  retry: RetryPolicy;
  requestTimeoutMs: number;
  callTimeoutMs: number;
  deadline: number;
  clock: Clock;
  debug: ((line: string) => void) | undefined;
}

/**
 * The one place that speaks HTTP to Vault or OpenBao. Paths are relative to
 * `/v1/`; callers never build URLs or headers themselves.
 */
export class VaultClient {
  readonly address: string;
  readonly #shared: Shared;
  readonly #token: string;
  readonly #redirectRule: RedirectRule;

  constructor(options: VaultClientOptions) {
    this.address = options.address;
    this.#token = options.token;
    const own = new URL(options.address);
    this.#redirectRule = {
      scheme: own.protocol,
      origins: [own.origin, ...(options.nodes ?? [])],
    };
    const callTimeoutMs = options.callTimeoutMs ?? 120_000;
    this.#shared = {
      address: options.address,
      namespace: options.namespace,
      nodes: options.nodes ?? [],
      dispatcher:
        options.dispatcher ??
        new Agent({ headersTimeout: 30_000, bodyTimeout: 30_000, connect: { timeout: 10_000 } }),
      retry: options.retry ?? DEFAULT_RETRY,
      // A hung attempt must leave time for the retries that follow it within the call's budget.
      requestTimeoutMs: options.requestTimeoutMs ?? Math.min(30_000, callTimeoutMs / 4),
      callTimeoutMs,
      deadline: options.deadline ?? Infinity,
      clock: options.clock ?? SYSTEM_CLOCK,
      debug: options.debug,
    };
  }

  /** The same credentials and settings, speaking to one node of the cluster directly. */
  atAddress(address: string): VaultClient {
    // The url server stays an origin the user named, for a node that redirects back to it.
    const nodes = [...new Set([new URL(this.#shared.address).origin, ...this.#shared.nodes])];
    return new VaultClient({ ...this.#shared, address, nodes, token: this.#token });
  }

  /** The same connection, acting with another token (after a login). */
  withToken(token: string): VaultClient {
    return new VaultClient({ ...this.#shared, token });
  }

  /** The same connection and token, acting in another namespace (empty for the root namespace). */
  inNamespace(namespace: string): VaultClient {
    return new VaultClient({ ...this.#shared, namespace, token: this.#token });
  }

  /** The same client, its calls ending by `deadline` (clock time) instead. */
  until(deadline: number): VaultClient {
    return new VaultClient({ ...this.#shared, deadline, token: this.#token });
  }

  /** A read; `null` when the server answers 404. */
  async read<T>(target: Target, query: Record<string, string> = {}): Promise<T | null> {
    return this.#call<T>('GET', target, undefined, query, { repeatable: true });
  }

  async write<T>(
    method: Exclude<Method, 'GET'>,
    target: Target,
    body?: unknown,
    options: WriteOptions = {},
  ): Promise<T | null> {
    return this.#call<T>(method, target, body, {}, options);
  }

  async close(): Promise<void> {
    await this.#shared.dispatcher.close();
  }

  async #call<T>(
    method: Method,
    target: Target,
    body: unknown,
    query: Record<string, string>,
    options: WriteOptions,
  ): Promise<T | null> {
    const { path, root } = typeof target === 'string' ? { path: target, root: false } : target;
    const { clock, retry, callTimeoutMs } = this.#shared;
    const started = clock.now();
    const deadline = Math.min(started + callTimeoutMs, this.#shared.deadline);
    if (started >= deadline) {
      throw new VaultError(method, path, 0, [
        'not sent: the time the run may take (run-timeout) is spent',
      ]);
    }
    let url = new URL(`${this.address}/v1/${path}`);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    let redirects = 0;
    // Whether an earlier attempt may have been applied, which a later refusal does not undo.
    let uncertain = false;
    for (let attempt = 1; ; attempt++) {
      const outcome = await exchange(this.#shared, this.#token, {
        method,
        url,
        body,
        root,
        deadline,
      });
      const spent = `${attempt} attempt${attempt === 1 ? '' : 's'} in ${((clock.now() - started) / 1000).toFixed(1)} s`;
      let failed: (extra: readonly string[], gaveUp: boolean) => VaultError;
      let retryable: boolean;
      let applied: Applied;
      if (outcome.kind === 'response') {
        const { status, text, location } = outcome;
        if (status >= 300 && status < 400) {
          const next = judgeRedirect(
            { from: url, status, location, followed: redirects },
            this.#redirectRule,
          );
          if ('refuse' in next) {
            throw new VaultError(method, path, status, [next.refuse], tries(attempt));
          }
          // A standby pointing at the active node: follow it, keeping method and body.
          redirects++;
          url = next.follow;
          attempt--;
          continue;
        }
        if (status === 404 && method === 'GET') return null;
        if (status < 400) return text ? (JSON.parse(text) as T) : null;
        const said = serverErrors(text);
        applied = appliedAfterStatus(status);
        const settled = options.settled?.(said) === true;
        // A server error it says will not change (settled) is a refusal, not a lost answer.
        const lost = status >= 500 && applied === 'unknown' && !settled;
        failed = (extra, gaveUp) =>
          new VaultError(
            method,
            path,
            status,
            [...said, ...extra],
            gaveUp ? `gave up after ${spent}` : tries(attempt),
            uncertain || lost,
          );
        retryable = RETRY_STATUSES.has(status) && !settled;
      } else {
        const failure = classifyNetworkError(outcome.error);
        const origin = url.origin;
        // No status to quote: how often and how long the server was tried is the news.
        applied = failure.applied;
        const lost = applied === 'unknown';
        failed = (extra) =>
          new VaultError(
            method,
            path,
            0,
            [`no answer from ${origin} after ${spent}: ${failure.detail}`, ...extra],
            '',
            uncertain || lost,
          );
        retryable = failure.retry;
      }
      if (!retryable) throw failed([], false);
      if (applied === 'unknown' && !options.repeatable) {
        if (!options.confirm) {
          throw failed(
            [
              'the response was lost, so the write may or may not have happened; it was not sent again',
            ],
            false,
          );
        }
        uncertain = true;
        let happened: boolean;
        try {
          happened = await options.confirm();
        } catch (error) {
          throw failed([`reading back whether it happened failed: ${describe(error)}`], false);
        }
        if (happened) return null;
        uncertain = false;
      } else if (applied === 'unknown') {
        uncertain = true;
      }
      // A wait that would run past the deadline is cut short, so that the
      // call's time is used: a leader election outlasting half of it is
      // still waited out. The last attempt keeps a tenth of it, at most 1 s.
      const room = deadline - clock.now() - Math.min(LAST_ATTEMPT_MS, (deadline - started) / 10);
      if (attempt >= retry.attempts || room <= 0) throw failed([], true);
      await clock.sleep(
        Math.min(
          backoffMs(retry, attempt, () => clock.random()),
          room,
        ),
      );
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function tries(attempt: number): string {
  return attempt === 1 ? '' : `${attempt} attempts`;
}
