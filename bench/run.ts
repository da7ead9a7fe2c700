// `npm run bench`: every figure of bench/RESULTS.md, each against a baseline
// measured in the same run, and docs/performance.md quoting it.
// `--smoke` runs every bench once at tiny sizes and prints the results
// instead of writing them: CI proves the bench still runs. For a partial run,
// printed too: `--only=rollout`, `--servers=openbao`, `--builds=multiplexed`
// (or `per-mount`), `--counts=1,10` (mounts, every build), `--namespaces=2x5`
// (namespaces × mounts each; `0` leaves that row out), `--runs=1` (turns
// per size).
import { readFile, writeFile } from 'node:fs/promises';
import { benchDownload } from './download.ts';
import { benchHash } from './hash.ts';
import { machine, revision, type BenchOptions, type Row } from './lib.ts';
import { benchRollout, type Measured, type PluginBuild } from './rollout.ts';
import { goalLines, rolloutGoals, rolloutNotes, rolloutTable } from './rollout-report.ts';
import { benchStartup } from './startup.ts';
import { SERVER_KINDS, type ServerKind } from '../lab/paths.ts';

const flag = (name: string): string | undefined =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const smoke = process.argv.includes('--smoke');
const only = flag('only');
const counts = flag('counts')?.split(',').map(Number);
const servers = (flag('servers')?.split(',') ?? SERVER_KINDS).map((s): ServerKind => {
  const kind = SERVER_KINDS.find((k) => k === s);
  if (!kind) throw new Error(`--servers: "${s}" is not one of ${SERVER_KINDS.join(', ')}`);
  return kind;
});
const namespaces = (() => {
  const value = flag('namespaces') ?? (smoke ? '2x1' : '5x100');
  if (value === '0') return null;
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new Error(`--namespaces: "${value}" is not COUNTxMOUNTS, e.g. 5x100, or 0`);
  return { count: Number(match[1]), mounts: Number(match[2]) };
})();
const runs = flag('runs');
const buildNames = flag('builds')?.split(',');
const partial =
  smoke || Boolean(only ?? counts ?? flag('servers') ?? buildNames ?? flag('namespaces') ?? runs);
if (counts?.some((c) => !Number.isInteger(c) || c < 1)) {
  throw new Error(`--counts: "${flag('counts') ?? ''}" is not a list of mount counts, e.g. 1,10`);
}

/** The Performance page quotes the results, and the README the goals, between these lines. */
const QUOTES = {
  page: {
    file: new URL('../docs/performance.md', import.meta.url),
    begin: '<!-- bench results: written by `npm run bench` -->',
    end: '<!-- end of bench results -->',
  },
  readme: {
    file: new URL('../README.md', import.meta.url),
    begin: '<!-- bench goals: written by `npm run bench` -->',
    end: '<!-- end of bench goals -->',
  },
};
type Quote = (typeof QUOTES)[keyof typeof QUOTES];
// A full run takes many minutes: find out before it, not after, that it cannot quote itself.
if (!partial) {
  for (const quote of Object.values(QUOTES)) quoteBlock(await readFile(quote.file, 'utf8'), quote);
}

const options: BenchOptions = { smoke, log: (line) => console.error(`bench: ${line}`) };
const before = machine();
const started = process.hrtime.bigint();
const startedAt = new Date();

const allBuilds: (PluginBuild & { name: string })[] = [
  // Served as HashiCorp builds its plugins: one process for every mount of a version.
  {
    name: 'multiplexed',
    flavor: 'multiplexed',
    label: 'multiplexed plugin',
    counts: counts ?? (smoke ? [1] : [1, 10, 100, 500]),
  },
  // plugin.Serve: the server starts a process for each mount it reloads.
  {
    name: 'per-mount',
    flavor: '',
    label: 'one process per mount',
    counts: counts ?? (smoke ? [1] : [1, 10, 100, 500]),
  },
];
const builds = allBuilds.filter((b) => !buildNames || buildNames.includes(b.name));
if (buildNames?.some((n) => !allBuilds.some((b) => b.name === n))) {
  throw new Error(
    `--builds: "${buildNames.join(',')}" names a build other than ${allBuilds.map((b) => b.name).join(', ')}`,
  );
}

const rows: Row[] = [];
let rollouts: Measured[] = [];
const sections: [string, () => Promise<void>][] = [
  ['hash', async () => void rows.push(...(await benchHash(options)))],
  ['download', async () => void rows.push(...(await benchDownload(options)))],
  [
    'rollout',
    async () => {
      rollouts = await benchRollout({
        ...options,
        servers,
        builds,
        namespaces,
        runs: (mounts) => {
          if (runs || smoke) return { rounds: Number(runs ?? 1), cli: Number(runs ?? 1) };
          // Above 10 mounts a CLI turn takes from 10 s to a minute; the ratios to the script need more turns.
          return mounts <= 10 ? { rounds: 9, cli: 9 } : { rounds: 5, cli: 3 };
        },
      });
    },
  ],
  ['startup', async () => void rows.push(...(await benchStartup(options)))],
];

for (const [name, bench] of sections) {
  if (only && only !== name) continue;
  options.log(`${name}…`);
  await bench();
}
const after = machine();
const minutes = Number(process.hrtime.bigint() - started) / 6e10;
const { results, quote, goals } = render(minutes);
if (partial) {
  console.log(results);
} else {
  await writeFile(new URL('./RESULTS.md', import.meta.url), results);
  await quoteIn(
    QUOTES.page,
    quote.replaceAll('](expert-rollout.sh)', '](../bench/expert-rollout.sh)'),
  );
  await quoteIn(QUOTES.readme, goals);
  options.log(
    'wrote bench/RESULTS.md, the quote in docs/performance.md and the goals in README.md',
  );
}

function render(took: number): { results: string; quote: string; goals: string } {
  const load = (m: ReturnType<typeof machine>): string =>
    m.load.map((l) => l.toFixed(1)).join(', ');
  const busy = Math.max(before.load[0] ?? 0, after.load[0] ?? 0) > before.cores;
  const header = [
    `Machine: ${before.cpu}, ${before.cores} cores, Node ${process.version}. ${revision()}, started ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC. One \`npm run bench\`${partial ? ' (partial)' : ''}, ${took.toFixed(1)} minutes.`,
    `Load average (1, 5, 15 min) at the start: ${load(before)}; at the end: ${load(after)}` +
      (busy
        ? ' — the machine was shared and busy (more runnable processes than cores), so absolute times are inflated; the ratios compare runs interleaved under the same load.'
        : '.'),
    '',
    'Each figure is a median of several runs. Each baseline was measured in the same run, in rounds with ours (the order swapped every round), and each ratio is the median of the ratios of those rounds, so a load that drifts during the run weighs on both sides of every ratio.',
  ];
  const general =
    rows.length === 0
      ? []
      : [
          '',
          '| # | Measure | Ours | Baseline | Ratio | Goal | Met |',
          '| --- | --- | --- | --- | --- | --- | --- |',
          ...rows.map(
            (row, i) =>
              `| ${i + 1} | ${row.what} | ${row.ours} | ${row.baseline} | ${row.ratioText} | ${row.goal} | ${row.met === null ? '—' : row.met ? 'yes' : '**no**'} |`,
          ),
        ];
  const generalNotes = rows
    .filter((row) => row.note)
    .map((row) => `- ${row.what.replace(/ \(vs .*$/, '')}: ${row.note ?? ''}`);
  const goals = goalLines(rolloutGoals(rollouts));
  const rollout =
    rollouts.length === 0
      ? []
      : [
          '',
          'Rollouts: the same mounts moved from one release to the next three ways, in turn, on one server per plugin build, each turn a first rollout of its release (the order rotates every round, after one untimed turn at each size): ' +
            'the action (`node dist/index.js`: start-up, download, checks and verification); ' +
            "the CLI procedure (by hand, one process a step: `curl` the asset and its checksums, `sha256sum -c`, `unzip`, `sha256sum` for the register call, `install` into the plugin directory, then the server's own CLI: `plugin register`, one `secrets tune -plugin-version` a mount, `plugin reload`, `secrets list -detailed`); " +
            'and the expert script, [bench/expert-rollout.sh](expert-rollout.sh) (curl, unzip -p, openssl, `xargs -P 8 curl` for the tunes, one reload call, one `sys/mounts` read). ' +
            "The server's reload is the server's time in the action's reload calls (at most 25 mounts a call), as the action's step-debug log times them: the floor every client waits for. The notes set it beside the script's single call. " +
            'Times are medians; each ratio is the median of the ratios taken round by round (the action against the script and the CLI procedure of its own round, its time above the reload against the reload of the same run), so a server that slows over successive rollouts weighs on both sides of every ratio.',
          '',
          ...rolloutTable(rollouts),
          '',
          ...goals,
        ];
  const quoted = [...header, ...general, ...rollout];
  const notes = [...generalNotes, ...rolloutNotes(rollouts)];
  const results = [
    '# Benchmark results',
    '',
    ...quoted,
    ...(notes.length ? ['', '## Where the time goes', '', ...notes] : []),
    '',
  ].join('\n');
  return {
    results,
    quote: quoted.join('\n'),
    goals: [
      `${revision()}, ${startedAt.toISOString().slice(0, 10)}, ${before.cores} cores; every row in [bench/RESULTS.md](bench/RESULTS.md):`,
      '',
      ...goals,
    ].join('\n'),
  };
}

async function quoteIn(where: Quote, text: string): Promise<void> {
  const page = await readFile(where.file, 'utf8');
  const [from, to] = quoteBlock(page, where);
  await writeFile(where.file, `${page.slice(0, from)}\n\n${text}\n\n${page.slice(to)}`);
}

/** Where the quote goes: after the begin line, up to the end line. */
function quoteBlock(page: string, where: Quote): [number, number] {
  const from = page.indexOf(where.begin);
  const to = page.indexOf(where.end);
  if (from < 0 || to < from) {
    throw new Error(`${where.file.pathname} has no "${where.begin}" … "${where.end}" block`);
  }
  return [from + where.begin.length, to];
}
