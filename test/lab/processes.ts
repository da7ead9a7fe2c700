import type { ChildProcess } from 'node:child_process';

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
