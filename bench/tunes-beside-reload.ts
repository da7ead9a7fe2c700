// Whether a server answers tunes during a reload of other mounts, measured, and how the notes tell it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabServer } from '../lab/server.ts';
import { fmtSeconds } from './lib.ts';
import { VERSIONS } from './releases.ts';

/**
 * Tunes sent while a reload runs, in milliseconds from sending the reload:
 * when the tunes were sent, when the reload was answered, and when the last
 * tune was.
 */
export interface TunesBesideReload {
  reloaded: number;
  tuned: number;
  sentAt: number;
  reloadEnd: number;
  tunesEnd: number;
}

const BESIDE = { reloaded: 25, tuned: 8, afterMs: 50 };

/**
 * Whether the server answers tunes while it reloads other mounts: if it
 * did, a client could hide the tunes behind the reload. The tunes move
 * mounts outside the reload to the version they do not run and back, so the
 * rollouts' state is as it was.
 */
export async function tunesBesideReload(
  server: LabServer,
  mounted: number,
  running: number,
): Promise<TunesBesideReload | null> {
  if (mounted < BESIDE.reloaded + BESIDE.tuned) return null;
  const path = (i: number): string => `bench-${i}`;
  const reloaded = Array.from({ length: BESIDE.reloaded }, (_, i) => path(i));
  const tuned = Array.from({ length: BESIDE.tuned }, (_, i) => path(BESIDE.reloaded + i));
  const tuneAll = (version: string): Promise<unknown> =>
    Promise.all(
      tuned.map((p) => server.api('POST', `sys/mounts/${p}/tune`, { plugin_version: version })),
    );
  const start = performance.now();
  const since = (): number => performance.now() - start;
  const reload = server
    .api('PUT', 'sys/plugins/reload/backend', { mounts: reloaded, scope: 'global' })
    .then(since);
  await sleep(BESIDE.afterMs);
  const sentAt = since();
  const tunes = tuneAll(VERSIONS[1 - running] ?? '').then(since);
  const [reloadEnd, tunesEnd] = await Promise.all([reload, tunes]);
  await tuneAll(VERSIONS[running] ?? '');
  return { reloaded: BESIDE.reloaded, tuned: BESIDE.tuned, sentAt, reloadEnd, tunesEnd };
}

/**
 * Tunes held by the reload take the rest of it, and are answered with its
 * own answer, a fraction of a millisecond before or after it; tunes the
 * server answers beside a reload take the few milliseconds tunes take.
 */
export function held(b: TunesBesideReload): boolean {
  return b.tunesEnd - b.sentAt >= 0.9 * (b.reloadEnd - b.sentAt);
}

/** What the server did with tunes sent while it reloaded other mounts. */
export function besideReload(b: TunesBesideReload): string {
  const ms = (value: number): string => fmtSeconds(value / 1000);
  const sent = `${b.tuned} tunes of other mounts sent ${ms(b.sentAt)} into a reload of ${b.reloaded} mounts`;
  const after = b.tunesEnd - b.reloadEnd;
  const when =
    after > 0 ? `${ms(after)} after its ${ms(b.reloadEnd)}` : `with it, at ${ms(b.reloadEnd)}`;
  return held(b)
    ? `the server holds a tune until a running reload ends (${sent} were answered ${when}, measured in this run), so no client can hide the tunes behind the reload`
    : `${sent} were answered at ${ms(b.tunesEnd)}, before its end at ${ms(b.reloadEnd)}`;
}
