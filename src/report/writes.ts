import { movedTargets, refused, writesTried, type ApplyRecord } from '../rollout/apply.ts';
import type { RunReport } from '../rollout/run-report.ts';
import { briefError } from './error-text.ts';
import { code, escapeText } from './markdown.ts';

/** The writes that were answered, and those sent whose answer was lost; refused ones are left out. */
export function writesMade(record: ApplyRecord): { known: string[]; unknown: string[] } {
  const lost = new Set(record.unsettled.filter((u) => u.applied === 'unknown').map((u) => u.write));
  const tried = writesTried(record).filter((write) => !refused(record, write));
  return {
    known: describeWrites(
      record,
      tried.filter((write) => !lost.has(write)),
    ),
    unknown: describeWrites(
      record,
      tried.filter((write) => lost.has(write)),
    ),
  };
}

function describeWrites(record: ApplyRecord, writes: readonly string[]): string[] {
  const done: string[] = [];
  const of = (verb: string): string[] =>
    writes.filter((w) => w.startsWith(`${verb} `)).map((w) => code(w.slice(verb.length + 1)));
  if (writes.includes('place')) done.push(`placed ${code(record.placedFile)}`);
  if (writes.includes('register')) done.push('registered the version');
  if (writes.includes('pin')) done.push(`moved the pin from ${code(record.pinFrom)}`);
  for (const [verb, said] of [
    ['tune', 'tuned'],
    ['reload', 'reloaded'],
    ['deregister', 'deregistered'],
  ] as const) {
    const items = of(verb);
    if (items.length > 0) done.push(`${said} ${items.join(', ')}`);
  }
  return done;
}

/** After a failure: what was written, what may have been, whether it was undone, and how fresh the table is. */
export function stateAfterFailure(report: RunReport): string {
  const { known, unknown } = writesMade(report.record);
  if (known.length === 0 && unknown.length === 0) {
    return report.server ? 'Nothing was written to the server.' : 'Nothing was written.';
  }
  const rollback = !movedTargets(report.record)
    ? ' Nothing to roll back: no mount was tuned.'
    : report.rollback
      ? ` The automatic rollback failed too: ${escapeText(briefError(report.rollback.error))}.`
      : ' Automatic rollback was off.';
  const applied =
    known.length > 0
      ? `Writes made before the failure: ${known.join('; ')}.`
      : 'No write is known to have been made.';
  const lost =
    unknown.length > 0
      ? ` Sent, but the answer was lost, so they may or may not have happened: ${unknown.join('; ')}.`
      : '';
  const table = report.readBack
    ? ' The table shows what each mount runs now, read after the failure.'
    : ' The server could not be read after the failure: the table shows each mount as the plan read it, and marks ❔ unknown every mount written to since.';
  return `${applied}${lost}${rollback}${table}`;
}
