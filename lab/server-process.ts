// Starts a server process on a free loopback port and waits until it answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverBinary, type ServerKind } from './paths.ts';
import { track } from './processes.ts';

// 30 s: with two test files a core running, a Vault server has taken over 10 s to answer.
const READY_TRIES = 300;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

export interface ServerProcess {
  child: ChildProcess;
  /** The last few kilobytes the server wrote to stderr, for start-up errors. */
  stderr: () => string;
}

/**
 * Starts `bao` or `vault` in the server's own directory (its HOME and working
 * directory, so relative paths in its configuration stay per server) and
 * tracks it. Nothing of this process's environment reaches it: no VAULT_*
 * or BAO_* variable can change what the lab starts.
 */
export function spawnServer(kind: ServerKind, args: string[], dir: string): ServerProcess {
  const child = spawn(serverBinary(kind), args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  track(child);
  let tail = '';
  child.stderr.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  return { child, stderr: () => tail };
}

/**
 * Polls `sys/health` until it answers with an accepted status; false when the
 * process exits or the tries run out.
 */
export async function healthReached(
  address: string,
  child: ChildProcess,
  accept: (status: number) => boolean,
): Promise<boolean> {
  for (let i = 0; i < READY_TRIES; i++) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${address}/v1/sys/health`);
      await response.body?.cancel();
      if (accept(response.status)) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return false;
}
