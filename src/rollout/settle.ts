import { VaultError } from '../domain/errors.ts';

/** A write whose call failed: `unknown` when the server may have applied it, `no` when it did not. */
export interface Unsettled {
  write: string;
  applied: 'no' | 'unknown';
}

/** Runs one write; when it fails, notes whether the server may have applied it. */
export async function settle<T>(
  record: { unsettled: Unsettled[] },
  writes: readonly string[],
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const applied = appliedAfter(error);
    if (applied) for (const write of writes) record.unsettled.push({ write, applied });
    throw error;
  }
}

/**
 * What a failed write left: `unknown` when its answer was lost, `no` when the
 * server turned it away before acting (no answer at all, a refusal, a status
 * saying it did not act, an error it says will not change), `null` when the
 * server tried and failed, which may have side effects and counts as made.
 */
function appliedAfter(error: unknown): 'no' | 'unknown' | null {
  if (!(error instanceof VaultError)) return 'no';
  if (error.mayHaveApplied) return 'unknown';
  const turnedAway = error.status === 0 || error.status === 403 || error.status === 412;
  return turnedAway || error.status === 429 || error.status >= 500 ? 'no' : null;
}
