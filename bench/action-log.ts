import type { TimedLine } from './action-run.ts';

/**
 * What a call to the server is for, told from its method and path:
 * - `read`: server identity, permissions, catalog and mount-table reads before the reload;
 * - `register`: the catalog write;
 * - `tune`: one mount's version;
 * - `reload`: `PUT sys/plugins/reload/backend`, the server restarting the mounts;
 * - `verification`: mount-table reads after the first reload, which check what runs.
 */
export type CallKind = 'read' | 'register' | 'tune' | 'reload' | 'verification';
export const CALL_KINDS: readonly CallKind[] = [
  'read',
  'register',
  'tune',
  'reload',
  'verification',
];

export interface Call {
  kind: CallKind;
  method: string;
  path: string;
  /** Seconds since the action started. */
  start: number;
  end: number;
}

/**
 * Every call's totals: how many; the wall time the run waited on them, with
 * at least one in flight after `from` (calls before it overlapped the
 * artifact stage, which the run waited on instead); how many of them were
 * answered during that stage; and the sum of their times.
 */
export interface KindTotals {
  count: number;
  wall: number;
  early: number;
  sum: number;
}

/** The client's debug line for one attempt: `METHOD /v1/path?query → status in N ms`. */
const CALL_LINE = /^::debug::(GET|PUT|POST|DELETE) \/v1\/(\S+) → (?:\d{3}|no answer) in (\d+) ms$/;
const MOUNT_TABLE = /^sys\/(mounts|auth)(\?.*)?$/;

/**
 * The calls the action made, from its step-debug log; the line is written
 * when the answer is in, so the call began its own duration before the line.
 */
export function callsOf(lines: readonly TimedLine[]): Call[] {
  const calls: Call[] = [];
  let reloaded = false;
  for (const line of lines) {
    const match = CALL_LINE.exec(line.text);
    if (!match?.[1] || !match[2] || !match[3]) continue;
    const [method, path] = [match[1], match[2]];
    const kind = kindOf(method, path, reloaded);
    if (kind === 'reload') reloaded = true;
    calls.push({ kind, method, path, start: line.at - Number(match[3]) / 1000, end: line.at });
  }
  return calls;
}

function kindOf(method: string, path: string, reloaded: boolean): CallKind {
  if (method === 'PUT' && path === 'sys/plugins/reload/backend') return 'reload';
  if (method === 'POST' && /^sys\/(mounts|auth)\/.+\/tune$/.test(path)) return 'tune';
  if (method === 'PUT' && path.startsWith('sys/plugins/catalog/')) return 'register';
  if (method === 'GET' && reloaded && MOUNT_TABLE.test(path)) return 'verification';
  return 'read';
}

export function totalsOf(calls: readonly Call[], from: number): Map<CallKind, KindTotals> {
  const totals = new Map<CallKind, KindTotals>();
  for (const kind of CALL_KINDS) {
    const mine = calls.filter((c) => c.kind === kind);
    totals.set(kind, {
      count: mine.length,
      wall: inFlight(waitedOn(mine, from)),
      early: mine.filter((c) => c.end <= from).length,
      sum: mine.reduce((sum, c) => sum + (c.end - c.start), 0),
    });
  }
  return totals;
}

/** The part of each call after `from`: what the run waited for once the artifact was in. */
export function waitedOn(calls: readonly Call[], from: number): Call[] {
  return calls.filter((c) => c.end > from).map((c) => ({ ...c, start: Math.max(c.start, from) }));
}

/**
 * When the run turned to the server: the stage that reads it opened. Calls
 * before it were sent alongside the artifact's download.
 */
export function serverStageStart(lines: readonly TimedLine[]): number {
  return lines.find((l) => l.text.startsWith('::group::Connect'))?.at ?? 0;
}

/** Seconds in which at least one of the calls was waiting for its answer. */
export function inFlight(calls: readonly Call[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let total = 0;
  let open: { from: number; to: number } | null = null;
  for (const call of sorted) {
    if (open && call.start <= open.to) {
      open.to = Math.max(open.to, call.end);
      continue;
    }
    if (open) total += open.to - open.from;
    open = { from: call.start, to: call.end };
  }
  return total + (open ? open.to - open.from : 0);
}

/**
 * Where the run's time went, from the `::group::` lines that open each
 * stage: Node's start-up until the first line, each group until the next,
 * and the job summary and exit after the last group closed.
 */
export function stagesOf(lines: readonly TimedLine[], seconds: number): Map<string, number> {
  const stages = new Map<string, number>();
  const opens = lines.filter((l) => l.text.startsWith('::group::'));
  const lastClose = lines.findLast((l) => l.text === '::endgroup::')?.at ?? seconds;
  stages.set('start-up', lines[0]?.at ?? seconds);
  for (const [i, open] of opens.entries()) {
    // A run over several namespaces titles each namespace's stages with it; they add up as one stage.
    const name = open.text.slice('::group::'.length).replace(/: namespace .*$/, '');
    const until = opens[i + 1]?.at ?? lastClose;
    stages.set(name, (stages.get(name) ?? 0) + until - open.at);
  }
  stages.set('summary and exit', seconds - lastClose);
  return stages;
}
