// The rows of the action's `result` output with the evidence that proved each.
import { resultRows, type ResultRow, type RunResult } from './runner.ts';

/** A row of the `result` output with what proved it (added with pins and builtin overrides). */
export type ProvenRow = ResultRow & { evidence: string[] };

export function provenRows(run: RunResult): ProvenRow[] {
  return resultRows(run) as ProvenRow[];
}
