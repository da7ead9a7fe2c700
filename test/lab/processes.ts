import type { ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

const running = new Set<ChildProcess>();

/** Remembers a server process so it is stopped even when a test fails or the runner exits. */
export function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** SIGTERM first so the server stops its plugin processes; SIGKILL after a bounded wait. */
export async function stop(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

process.once('exit', () => {
  // SIGTERM lets each server stop its own plugin processes after we are gone.
  for (const child of running) child.kill('SIGTERM');
});

/**
 * Kills every process whose executable lies under the directory. A server
 * stopped while it is still setting up a mount can leave that mount's plugin
 * process behind; the directory is the lab's own, so nothing else matches.
 */
export async function killProcessesUnder(dir: string): Promise<void> {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end between the listing and the read.
    const command = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (!command.startsWith(prefix)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
