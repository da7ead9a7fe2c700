// The login and the server's reads, started with the artifact's download.
import type { RolloutConfig } from '../inputs/config.ts';
import type { Session } from '../vault/auth.ts';
import { readIdentity, type ServerIdentity } from '../vault/identity.ts';
import type { Host } from './host.ts';
import { readServer, type ServerReading } from './preflight.ts';
import type { ServerSession } from './session.ts';

export interface ServerAhead {
  session: Session;
  identity: ServerIdentity;
  reading: ServerReading;
}

type Log = Host['log'];

/**
 * Lines written while another stage holds the log, kept in order until the
 * stage they belong to opens, so the log reads stage by stage whatever ran
 * alongside.
 */
export class HeldLog implements Log {
  private held: ((log: Log) => void)[] = [];

  readonly info = (line: string): void => {
    this.held.push((log) => {
      log.info(line);
    });
  };

  readonly warning = (line: string, title: string): void => {
    this.held.push((log) => {
      log.warning(line, title);
    });
  };

  /** Writes what was held; each line once, however often it is called. */
  release(log: Log): void {
    const held = this.held;
    this.held = [];
    for (const write of held) write(log);
  }
}

/**
 * Logs in and reads everything the plan needs from the server but the
 * artifact. Nothing here writes, and nothing needs the artifact, so the run
 * starts it with the download: the server's round trips overlap the
 * network and zlib time of the artifact. `checkIdentity` may refuse the
 * server before anything else is read from it. A failure here is reported
 * by the stage that reads the server, after the artifact's own checks.
 */
export async function readAhead(
  server: ServerSession,
  config: RolloutConfig,
  log: HeldLog,
  checkIdentity: (identity: ServerIdentity) => void,
): Promise<ServerAhead> {
  const opened = await server.open(config, log);
  const session = { ...opened, client: opened.client.inNamespace(config.namespace) };
  const identity = await readIdentity(session.client);
  checkIdentity(identity);
  return { session, identity, reading: await readServer(session.client, config, identity) };
}

/** Waits for the read-ahead, then writes what it logged, in the stage it belongs to. */
export async function aheadRead(
  ahead: Promise<ServerAhead>,
  held: HeldLog,
  log: Log,
): Promise<ServerAhead> {
  try {
    return await ahead;
  } finally {
    held.release(log);
  }
}
