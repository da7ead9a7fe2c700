// The parts a row's time is made of, as the notes under the table name them.
import type { CallKind } from './action-log.ts';
import { fmtSeconds } from './lib.ts';
import type { Measured } from './rollout.ts';

export function turnCounts({ rounds, cli }: Measured['runs']): string {
  const turns = (n: number): string => `${n} turn${n === 1 ? '' : 's'}`;
  return rounds === cli
    ? `median of ${turns(rounds)} each`
    : `median of ${turns(rounds)} of the action and the script, ${turns(cli)} of the CLI procedure`;
}

export function parts(of: ReadonlyMap<string, number>): string {
  return [...of].map(([name, s]) => `${name} ${fmtSeconds(s)}`).join(' · ');
}

/** The script's own start (bash, mktemp) is what its phases leave of its wall time. */
export function withStart(of: ReadonlyMap<string, number>, total: number): Map<string, number> {
  const phases = [...of.values()].reduce((sum, s) => sum + s, 0);
  return new Map([['start and exit', Math.max(0, total - phases)], ...of]);
}

const KIND_NAMES: Record<CallKind, [string, string]> = {
  read: ['read', 'reads'],
  register: ['register', 'registers'],
  tune: ['tune', 'tunes'],
  reload: ['reload', 'reloads'],
  verification: ['verification read', 'verification reads'],
};

export function callParts(m: Measured): string {
  return [...m.kinds]
    .filter(([, t]) => t.count > 0)
    .map(([kind, t]) => {
      const name = KIND_NAMES[kind][t.count === 1 ? 0 : 1];
      const overlap =
        t.sum > t.wall * 1.05 ? ` in flight (${fmtSeconds(t.sum)} summed over calls)` : '';
      const early =
        t.early > 0
          ? `, ${t.early === t.count ? 'all' : String(t.early)} of them answered during the artifact stage; after it,`
          : '';
      return `${t.count} ${name}${early} ${fmtSeconds(t.wall)}${overlap}`;
    })
    .join(' · ');
}

/** Stages told apart by their group titles: the artifact, and the server (connect, plan, roll out). */
export function buckets(of: ReadonlyMap<string, number>): {
  fixed: number;
  artifact: number;
  server: number;
} {
  const out = { fixed: 0, artifact: 0, server: 0 };
  for (const [name, s] of of) {
    if (name === 'between calls') continue;
    if (name === 'start-up' || name === 'summary and exit' || /input/i.test(name)) out.fixed += s;
    else if (/artifact/i.test(name)) out.artifact += s;
    else out.server += s;
  }
  return out;
}

export function sideBySide(m: Measured): string {
  const a = buckets(m.actionParts);
  const e = m.expertParts;
  const get = (name: string): number => e.get(name) ?? 0;
  const expertFixed = withStart(e, m.expert).get('start and exit') ?? 0;
  const expertServer = get('register') + get('tune') + get('reload') + get('verify');
  return [
    `start-up, inputs and exit ${fmtSeconds(a.fixed)} vs ${fmtSeconds(expertFixed)}`,
    `artifact ${fmtSeconds(a.artifact)} vs ${fmtSeconds(get('download') + get('unpack'))}`,
    `server calls ${fmtSeconds(a.server)} vs ${fmtSeconds(expertServer)}, of which the reload ${fmtSeconds(m.floor)} vs ${fmtSeconds(get('reload'))}`,
    `in all ${fmtSeconds(m.action)} vs ${fmtSeconds(m.expert)}`,
  ].join('; ');
}

export function aboveFloor(m: Measured): string {
  const a = buckets(m.actionParts);
  const wall = (kind: CallKind): number => m.kinds.get(kind)?.wall ?? 0;
  const between = m.actionParts.get('between calls') ?? 0;
  const items: [string, number][] = [
    ['start-up, inputs and exit', a.fixed],
    ['artifact', a.artifact],
    ['reads', wall('read')],
    ['register', wall('register')],
    ['tunes', wall('tune')],
    ['verification reads', wall('verification')],
    ['between calls', between],
  ];
  const named = items.reduce((sum, [, s]) => sum + s, 0);
  return (
    `above the reload (${fmtSeconds(m.paired.aboveFloor)}): ` +
    items.map(([name, s]) => `${name} ${fmtSeconds(s)}`).join(' · ') +
    ` (${fmtSeconds(m.paired.aboveFloor - named)} not in these)`
  );
}

export function namespaceCounts(m: Measured): string {
  const count = (kind: CallKind): number => m.kinds.get(kind)?.count ?? 0;
  const all = [...m.kinds.values()].reduce((sum, t) => sum + t.count, 0);
  return (
    `the action rolls the ${m.namespaces} namespaces of ${m.mounts / m.namespaces} mounts in one run, one namespace after another; ` +
    `it made ${count('reload')} reload calls, ${count('verification')} verification reads and ${all} calls to the server in all (${count('read')} reads, ${count('register')} registers, ${count('tune')} tunes). ` +
    `The expert script and the CLI procedure register once, then make one reload call and one mount-table read per namespace.`
  );
}
