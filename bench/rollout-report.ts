import type { CallKind } from './action-log.ts';
import { fmtSeconds } from './lib.ts';
import type { Measured } from './rollout.ts';
import {
  aboveFloor,
  buckets,
  callParts,
  namespaceCounts,
  parts,
  sideBySide,
  turnCounts,
  withStart,
} from './rollout-parts.ts';
import { besideReload, held } from './tunes-beside-reload.ts';

/** One goal and its verdict wherever it applies in this run. */
export interface GoalCheck {
  goal: string;
  checks: { where: string; measured: string; met: boolean }[];
}

interface RatioGoal {
  goal: string;
  applies: (m: Measured) => boolean;
  value: (m: Measured) => number;
  limit: number;
  show: (value: number) => string;
}

const times = (value: number): string => `${value.toFixed(2)}×`;
const percent = (value: number, digits = 0): string => `${(value * 100).toFixed(digits)} %`;

const EXPERT: RatioGoal = {
  goal: "the action takes at most 1.1× the expert script's time, from 10 mounts",
  applies: (m) => m.mounts >= 10,
  value: (m) => m.paired.expert,
  limit: 1.1,
  show: times,
};
const CLI: RatioGoal = {
  goal: "the action takes at most 1.0× the CLI procedure's time at 1 mount",
  applies: (m) => m.mounts === 1,
  value: (m) => m.paired.cli,
  limit: 1.0,
  show: times,
};
const FLOOR: RatioGoal = {
  goal: "the action's time above the server's reload is at most 10 % of that reload, from 100 mounts",
  applies: (m) => m.mounts >= 100,
  value: (m) => m.paired.overFloor,
  limit: 0.1,
  // Tenths below 100 %, so a share just over the goal does not read as the goal itself.
  show: (value) => percent(value, Math.abs(value) < 1 ? 1 : 0),
};
const RATIO_GOALS = [EXPERT, CLI, FLOOR];
const GROWTH_FROM = 10;
const GROWTH_TO = 500;

function where(m: Measured): string {
  const spread = m.namespaces ? ` (${m.namespaces} namespaces × ${m.mounts / m.namespaces})` : '';
  return `${m.product}, ${m.build}, ${m.mounts} mount${m.mounts === 1 ? '' : 's'}${spread}`;
}

const met = (goal: RatioGoal, m: Measured): boolean => goal.value(m) <= goal.limit;
const verdict = (ok: boolean): string => (ok ? 'yes' : '**no**');

/** The verdict of every goal wherever this run measured it. */
export function rolloutGoals(real: readonly Measured[]): GoalCheck[] {
  const checks: GoalCheck[] = RATIO_GOALS.map((goal) => ({
    goal: goal.goal,
    checks: real
      .filter(goal.applies)
      .map((m) => ({ where: where(m), measured: goal.show(goal.value(m)), met: met(goal, m) })),
  }));
  const growth: GoalCheck = {
    goal: `the action's time grows sub-linearly with the mounts, ${GROWTH_FROM} to ${GROWTH_TO}, multiplexed plugin`,
    checks: [],
  };
  for (const small of real.filter(
    (m) => m.flavor === 'multiplexed' && !m.namespaces && m.mounts === GROWTH_FROM,
  )) {
    const large = real.find(
      (m) =>
        m.kind === small.kind &&
        m.flavor === small.flavor &&
        !m.namespaces &&
        m.mounts === GROWTH_TO,
    );
    if (!large) continue;
    const growth_ = large.action / small.action;
    growth.checks.push({
      where: `${small.product}, ${small.build}`,
      measured: `${times(growth_)} the time for ${GROWTH_TO / GROWTH_FROM}× the mounts (the server's reload: ${times(large.floor / small.floor)})`,
      met: growth_ < GROWTH_TO / GROWTH_FROM,
    });
  }
  checks.push(growth);
  return checks;
}

export function goalLines(goals: readonly GoalCheck[]): string[] {
  return goals.map((g) => {
    if (g.checks.length === 0) return `- ${g.goal}: not measured in this run`;
    const missed = g.checks.filter((c) => !c.met);
    if (missed.length === 0) {
      return `- ${g.goal}: **met** (${g.checks.length} of ${g.checks.length}: ${g.checks.map((c) => c.measured).join(', ')})`;
    }
    return `- ${g.goal}: **not met** in ${missed.length} of ${g.checks.length} — ${missed.map((c) => `${c.where}: ${c.measured}`).join('; ')}`;
  });
}

export function rolloutTable(measured: readonly Measured[]): string[] {
  const judged = (goal: RatioGoal, m: Measured, before = '', after = ''): string => {
    const shown = `${before}${goal.show(goal.value(m))}${after}`;
    return goal.applies(m) ? `${shown} — ${verdict(met(goal, m))}` : shown;
  };
  return [
    "| Server | Plugin build | Mounts | Action | CLI procedure | Expert script | Server's reload | Action above the reload (goal ≤ 10 % from 100 mounts) | Action ÷ expert (goal ≤ 1.1× from 10 mounts) | Action ÷ CLI (goal ≤ 1.0× at 1 mount) |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...measured.map((m) => {
      const mounts = m.namespaces
        ? `${m.mounts} (${m.namespaces} namespaces × ${m.mounts / m.namespaces})`
        : String(m.mounts);
      const faster = m.cli / m.action;
      return [
        '',
        m.product,
        m.build,
        mounts,
        fmtSeconds(m.action),
        fmtSeconds(m.cli),
        fmtSeconds(m.expert),
        fmtSeconds(m.floor),
        judged(FLOOR, m, `${fmtSeconds(m.paired.aboveFloor)}, `),
        judged(EXPERT, m),
        judged(CLI, m, '', faster >= 1 ? ` (${faster.toFixed(1)}× faster)` : ''),
        '',
      ]
        .join(' | ')
        .trim();
    }),
  ];
}

/**
 * Where the time goes in every row, naming the goals it misses: the action's
 * stages and calls, the expert script's and the CLI procedure's parts, the
 * action and the script side by side, and what the action spends beyond
 * the server's reload.
 */
export function rolloutNotes(measured: readonly Measured[]): string[] {
  const notes: string[] = [];
  for (const m of measured) {
    const missed = RATIO_GOALS.filter((g) => g.applies(m) && !met(g, m));
    const lines = [
      `- ${where(m)}, ${turnCounts(m.runs)}${missed.length ? ` (misses: ${missed.map((g) => g.goal).join('; ')})` : ''}:`,
    ];
    if (m.namespaces) lines.push(`  - ${namespaceCounts(m)}`);
    lines.push(
      `  - action stages: ${parts(m.actionParts)}`,
      `  - action calls: ${callParts(m)}`,
      `  - expert script: ${parts(withStart(m.expertParts, m.expert))}`,
      `  - CLI procedure (one process a call): ${parts(m.cliParts)}`,
      `  - side by side, action vs expert: ${sideBySide(m)}`,
    );
    lines.push(`  - ${aboveFloor(m)}`);
    if (missed.includes(EXPERT)) lines.push(`  - ${whyNotNearExpert(m)}`);
    if (missed.includes(FLOOR)) lines.push(`  - ${whyNotNearFloor(m)}`);
    const reload = m.expertParts.get('reload') ?? 0;
    if (reload > 0) {
      lines.push(
        `  - the expert script above its own reload call: ${fmtSeconds(m.expert - reload)}, ${percent((m.expert - reload) / reload)} of it`,
      );
    }
    const calls = m.kinds.get('reload')?.count ?? 0;
    const perNamespace = Math.max(1, m.namespaces);
    if (calls > perNamespace && reload > 0 && reload < m.floor * 0.9) {
      lines.push(
        `  - the server took ${fmtSeconds(m.floor - reload)} less (${percent(1 - reload / m.floor)}) to reload the same mounts in the script's ${perNamespace} call${perNamespace === 1 ? '' : 's'} than in the action's ${calls}`,
      );
    }
    notes.push(...lines);
  }
  return notes;
}

/**
 * The 1.1× goal against what the action cannot shed: the start-up of Node
 * with the libraries it is built on (row 4 measures them alone), against
 * the script's shell, and what the rest of the run gains or loses.
 */
function whyNotNearExpert(m: Measured): string {
  const a = buckets(m.actionParts);
  const expertFixed = withStart(m.expertParts, m.expert).get('start and exit') ?? 0;
  const handicap = a.fixed - expertFixed;
  const rest = m.action - a.fixed - (m.expert - expertFixed);
  return (
    `why not within 1.1× of the script: 1.1× leaves ${fmtSeconds(m.expert * (EXPERT.limit - 1))} over its ${fmtSeconds(m.expert)}; ` +
    `the action's start-up, inputs and exit take ${fmtSeconds(handicap)} more than the script's shell (Node loading the libraries the action is built on, row 4), ` +
    `and the rest of the run is ${fmtSeconds(Math.abs(rest))} ${rest <= 0 ? 'faster' : 'slower'} than the script's`
  );
}

/**
 * The 10 % goal against what no client can shed: the server's own time in
 * the calls that come with the reload, and fetching the release at the
 * speed of the faster of curl with unzip and the action's artifact stage.
 */
function whyNotNearFloor(m: Measured): string {
  const wall = (kind: CallKind): number => m.kinds.get(kind)?.wall ?? 0;
  const beside = m.tunesBesideReload;
  // Tunes a server answers beside a reload could be hidden behind it; only held ones add to it.
  const tunesHeld = beside !== null && held(beside);
  const server = wall('register') + (tunesHeld ? wall('tune') : 0) + wall('verification');
  const byScript = (m.expertParts.get('download') ?? 0) + (m.expertParts.get('unpack') ?? 0);
  const byAction = buckets(m.actionParts).artifact;
  const fetch = Math.min(byScript, byAction);
  const fetching =
    byAction < byScript
      ? `in the action, faster than curl and unzip (${fmtSeconds(byScript)})`
      : 'even with curl and unzip';
  const floor = (server + fetch) / m.floor;
  const over = Math.max(0, (m.paired.overFloor - FLOOR.limit) * m.floor);
  const verdict_ =
    floor > FLOOR.limit
      ? 'so the server and the release alone pass 10 % here, whatever the client'
      : `below 10 %: the other ${fmtSeconds(over)} over the goal are the action's own (${ownParts(m, fetch)})`;
  const tunes = tunesHeld
    ? `${fmtSeconds(wall('tune'))} for the tunes`
    : `${fmtSeconds(wall('tune'))} for the tunes (not counted: this server answers tunes during a reload)`;
  return (
    `why not within 10 % of the reload: besides it, the server takes ${fmtSeconds(wall('register'))} to register, ` +
    `${tunes} and ${fmtSeconds(wall('verification'))} for the verification read ` +
    `(${percent(server / m.floor)} of the reload), and fetching and unpacking the release takes ${fmtSeconds(fetch)} ${fetching}: ` +
    `${percent(floor)} of the reload before any client's own start-up, ${verdict_}` +
    (beside ? `; ${besideReload(beside)}` : '')
  );
}

/** Where the action's own time goes, beside the server's and the release's. */
function ownParts(m: Measured, fetch: number): string {
  const a = buckets(m.actionParts);
  const reads = m.kinds.get('read')?.wall ?? 0;
  const between = m.actionParts.get('between calls') ?? 0;
  const slower = a.artifact - fetch;
  return [
    `start-up, inputs and exit ${fmtSeconds(a.fixed)}, Node loading the libraries the action is built on (row 4) and writing the summary`,
    `${fmtSeconds(reads)} of reads the script does not make, which check the server before and during the writes`,
    `${fmtSeconds(between)} between calls`,
    ...(slower > 0 ? [`the artifact stage ${fmtSeconds(slower)} slower than curl and unzip`] : []),
  ].join('; ');
}
