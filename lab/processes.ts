// Tracks and stops the lab's server and plugin processes, and reads /proc about them.
import type { ChildProcess } from 'node:child_process';
import { readdir, readFile, readlink } from 'node:fs/promises';

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

export async function parentPid(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name in parentheses may hold spaces; the parent pid is the second field after it.
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The file a process was started from: which plugin directory a plugin process came out of. */
export async function executableOf(pid: number): Promise<string> {
  return readlink(`/proc/${String(pid)}/exe`);
}
