import { readFile } from 'node:fs/promises';
import { loadTls, openConnection } from '../http/dispatcher.ts';
import { rollbackReserve, type RolloutConfig } from '../inputs/config.ts';
import { authenticate, revokeSession, type Session } from '../vault/auth.ts';
import { SYSTEM_CLOCK, VaultClient } from '../vault/client.ts';
import type { Host } from './host.ts';

/**
 * The connection and the login of one run. Both are opened inside the
 * preflight and must be closed whatever happens after, so they are held here
 * rather than in the stage that opened them. A run over several namespaces
 * opens them once: logins live in the root namespace, and one token acts in
 * every namespace its policy grants.
 */
export class ServerSession {
  private connection: VaultClient | null = null;
  private session: Session | null = null;
  private opening: Promise<Session> | null = null;
  /** When the run's last call must have ended: `run-timeout` after connecting. */
  private lastCallBy = Infinity;

  private readonly host: Host;

  constructor(host: Host) {
    this.host = host;
  }

  /**
   * Connects and logs in; returns the client that carries the token, and
   * how it logged in. What it has to say goes to `log`, which may hold it
   * back until the run reaches the stage that reads the server.
   */
  open(config: RolloutConfig, log: Host['log']): Promise<Session> {
    this.opening ??= this.login(config, log);
    return this.opening;
  }

  private async login(config: RolloutConfig, log: Host['log']): Promise<Session> {
    const { host } = this;
    const tls = loadTls(config.transport);
    if (!tls.rejectUnauthorized) {
      log.warning(
        'tls-skip-verify: the server certificate is NOT verified; anyone on the path to the server can read the token. Use ca-certificate instead.',
        'TLS verification is off',
      );
    }
    const { dispatcher, proxy } = openConnection(config.url, tls, host.context.env);
    if (proxy) log.info(`connecting through the proxy at ${proxy}`);
    const budget = runBudget(config, Date.now());
    this.lastCallBy = budget.lastCallBy;
    this.connection = new VaultClient({
      address: config.url,
      token: '',
      namespace: config.namespace,
      nodes: config.safety.nodes,
      dispatcher,
      callTimeoutMs: config.transport.timeoutSeconds * 1000,
      deadline: budget.rolloutBy,
      debug: host.debug,
    });
    this.session = await authenticate(this.connection, config.auth, {
      mask: (value) => {
        host.context.mask(value);
      },
      getIDToken: host.getIDToken,
      readFile: (path) => readFile(path, 'utf8'),
      env: host.context.env,
      clock: SYSTEM_CLOCK,
    });
    log.info(`logged in: ${this.session.description}`);
    return this.session;
  }

  /** What the login failed with, or `null` when it did not (or was not tried). */
  async openingError(): Promise<unknown> {
    if (!this.opening) return null;
    return this.opening.then(
      () => null,
      (error: unknown) => error,
    );
  }

  /** The client that carries the token, once logged in. */
  get client(): VaultClient | null {
    return this.session?.client ?? null;
  }

  /** The same client with the time kept back for a rollback, the last read and the logout. */
  late(client: VaultClient): VaultClient {
    return client.until(this.lastCallBy);
  }

  /** Revokes a token this run logged in for; returns how the login ends up described. */
  async close(login: string): Promise<string> {
    let described = login;
    if (this.session) {
      const problem = await revokeSession({
        ...this.session,
        client: this.late(this.session.client),
      });
      if (problem) this.host.log.warning(problem, 'Token not revoked');
      else if (this.session.loggedIn) described += '; token revoked at the end';
    }
    await this.connection?.close();
    return described;
  }
}

/**
 * The whole run's bound: every call ends within `run-timeout` of connecting.
 * The rollout's calls end one `timeout` and one `verify-timeout` earlier for
 * each namespace, so a rollback of every namespace can still tune back,
 * reload and verify before the bound.
 */
export function runBudget(
  config: Pick<
    RolloutConfig,
    'runTimeoutSeconds' | 'verifyTimeoutSeconds' | 'transport' | 'namespaces'
  >,
  connectedAt: number,
): { rolloutBy: number; lastCallBy: number } {
  const reserve = rollbackReserve(config);
  return {
    rolloutBy: connectedAt + (config.runTimeoutSeconds - reserve) * 1000,
    lastCallBy: connectedAt + config.runTimeoutSeconds * 1000,
  };
}
