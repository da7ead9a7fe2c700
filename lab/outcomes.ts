// Sorts each broken run into what it ended as, and checks that the server and the run's report agree.
import { stateProblems, type Scenario, type ScenarioServer } from './rollout-state.ts';
import { resultRows, type RunResult } from './runner.ts';
import { catalogEntry, liveMount } from './seed.ts';

export const OUTCOMES = [
  'succeeded',
  'rolled back',
  'stopped before any write',
  'failed, summary truthful',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Verdict {
  outcome: Outcome;
  problems: string[];
}

/**
 * What a run ended as, and everything wrong with it. A run that succeeded,
 * rolled back or wrote nothing must leave every mount wholly on one version
 * (`stateProblems`). A run that failed after writing, with a rollback that
 * could not finish, may leave mounts on either version — never a third, and
 * each running the catalog's binary for it — and its summary and `result`
 * output must show each mount as the server has it, or say it is unknown.
 */
export async function judge(server: ScenarioServer, s: Scenario, run: RunResult): Promise<Verdict> {
  const problems = await catalogHolds(server, s);
  const rolledBack = run.outputs['rolled-back'] === 'true';
  const nothingWritten = run.summary.includes('Nothing was written to the server.');
  const wholeState =
    run.exitCode === 0 ||
    rolledBack ||
    nothingWritten ||
    run.summary.includes('Nothing to roll back: no mount was tuned.');
  if (wholeState) {
    problems.push(...(await stateProblems(server, s, run)));
    const outcome: Outcome =
      run.exitCode === 0
        ? 'succeeded'
        : rolledBack
          ? 'rolled back'
          : nothingWritten
            ? 'stopped before any write'
            : 'failed, summary truthful';
    return { outcome, problems };
  }
  if (run.exitCode !== 1) problems.push(`exit ${run.exitCode}`);
  if (!run.summary.startsWith('## ❌ Failed')) {
    problems.push(`summary headline: ${run.summary.split('\n')[0] ?? ''}`);
  }
  const rows = resultRows(run);
  const known = new Map([s.from, s.to].map((side) => [side.version, side.sha256]));
  for (const path of s.mounts) {
    const now = await liveMount(server, s.type, path);
    if (!known.has(now.version) || known.get(now.runningVersion) !== now.runningSha256) {
      problems.push(
        `${path}: configured ${now.version}, running ${now.runningVersion} ${now.runningSha256.slice(0, 12)}: neither version`,
      );
    }
    const row = rows.find((r) => r.mount === path);
    const shown = `| \`${s.type === 'auth' ? `auth/${path}` : `${path}/`}\` |`;
    const summaryRow = run.summary.split('\n').find((line) => line.startsWith(shown)) ?? '';
    if (row?.result === 'unknown') {
      if (!summaryRow.includes('❔ unknown')) {
        problems.push(`result says ${path} is unknown, the summary does not: ${summaryRow}`);
      }
      continue;
    }
    if (
      !row ||
      row.version !== now.version ||
      row.running_version !== now.runningVersion ||
      row.running_sha256 !== now.runningSha256
    ) {
      problems.push(`result output for ${path} disagrees with the server: ${JSON.stringify(row)}`);
    }
    if (!summaryRow.includes(`\`${now.runningSha256.slice(0, 12)}\``)) {
      problems.push(`summary row for ${path} disagrees with the server: ${summaryRow}`);
    }
  }
  return { outcome: 'failed, summary truthful', problems };
}

/** No mount may run a version whose catalog entry holds another hash, nor lose its entry. */
async function catalogHolds(server: ScenarioServer, s: Scenario): Promise<string[]> {
  const problems: string[] = [];
  for (const path of s.mounts) {
    const now = await liveMount(server, s.type, path);
    if (!now.runningVersion) continue;
    const entry = await catalogEntry(server, s.type, s.name, now.runningVersion);
    if (entry?.sha256 !== now.runningSha256) {
      problems.push(
        `${path} runs ${now.runningVersion} ${now.runningSha256.slice(0, 12)}, which the catalog holds as ${JSON.stringify(entry)}`,
      );
    }
  }
  return problems;
}

/** Outcome counts per kind of fault, as one line each: `<kind>: N cells, N passed: a succeeded, …`. */
export class Tally {
  private readonly cells = new Map<
    string,
    { total: number; passed: number; counts: Map<Outcome, number> }
  >();

  add(kind: string, verdict: Verdict): void {
    const entry = this.cells.get(kind) ?? {
      total: 0,
      passed: 0,
      counts: new Map<Outcome, number>(),
    };
    entry.total++;
    if (verdict.problems.length === 0) {
      entry.passed++;
      entry.counts.set(verdict.outcome, (entry.counts.get(verdict.outcome) ?? 0) + 1);
    }
    this.cells.set(kind, entry);
  }

  /** The share of passed cells that ended in something other than success. */
  notSucceeded(): number {
    let passed = 0;
    let other = 0;
    for (const entry of this.cells.values()) {
      passed += entry.passed;
      other += entry.passed - (entry.counts.get('succeeded') ?? 0);
    }
    return passed === 0 ? 0 : other / passed;
  }

  lines(): string[] {
    const line = (kind: string, total: number, passed: number, counts: Map<Outcome, number>) =>
      `${kind}: ${total} cells, ${passed} passed: ${OUTCOMES.map((o) => `${counts.get(o) ?? 0} ${o}`).join(', ')}`;
    const all = new Map<Outcome, number>();
    let total = 0;
    let passed = 0;
    const lines: string[] = [];
    for (const [kind, entry] of this.cells) {
      lines.push(line(kind, entry.total, entry.passed, entry.counts));
      total += entry.total;
      passed += entry.passed;
      for (const [o, n] of entry.counts) all.set(o, (all.get(o) ?? 0) + n);
    }
    lines.push(line('all', total, passed, all));
    return lines;
  }
}
