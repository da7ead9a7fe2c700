// `npm run bench`: every figure of bench/RESULTS.md, each against a baseline
// measured in the same run. `--smoke` runs every bench once at tiny sizes
// and prints the table instead of writing it: CI proves the bench still runs.
import { writeFile } from 'node:fs/promises';
import { benchDownload } from './download.ts';
import { benchHash } from './hash.ts';
import { machine, type BenchOptions, type Row } from './lib.ts';
import { benchRollout } from './rollout.ts';
import { benchStartup } from './startup.ts';

const smoke = process.argv.includes('--smoke');
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const options: BenchOptions = { smoke, log: (line) => console.error(`bench: ${line}`) };
const before = machine();
const started = process.hrtime.bigint();

const sections: [string, () => Promise<Row[]>][] = [
  ['hash', () => benchHash(options)],
  ['download', () => benchDownload(options)],
  [
    'rollout',
    () =>
      benchRollout({
        ...options,
        builds: [
          // Served as HashiCorp builds its plugins: one process for every mount of a version.
          {
            flavor: 'multiplexed',
            label: 'multiplexed plugin',
            counts: smoke ? [1] : [1, 10, 100, 500],
          },
          // plugin.Serve: the server starts a process for each mount it reloads.
          {
            flavor: '',
            label: 'one process per mount',
            counts: smoke ? [1] : [1, 10, 100],
            // 500 live plugin processes and minutes a run; extrapolated from the measured counts.
            extrapolateTo: smoke ? undefined : 500,
          },
        ],
        runs: (count) => (smoke ? 1 : count <= 10 ? 5 : count <= 100 ? 3 : 1),
      }),
  ],
  ['startup', () => benchStartup(options)],
];

const rows: Row[] = [];
for (const [name, bench] of sections) {
  if (only && only !== name) continue;
  options.log(`${name}…`);
  rows.push(...(await bench()));
}
const after = machine();
const minutes = Number(process.hrtime.bigint() - started) / 6e10;
const table = render(rows, before, after, minutes);
if (smoke || only) console.log(table);
else await writeFile(new URL('./RESULTS.md', import.meta.url), table);
if (!smoke && !only) options.log('wrote bench/RESULTS.md');

function render(
  all: readonly Row[],
  start: ReturnType<typeof machine>,
  end: ReturnType<typeof machine>,
  took: number,
): string {
  const load = (m: ReturnType<typeof machine>): string =>
    m.load.map((l) => l.toFixed(1)).join(', ');
  const lines = [
    '# Benchmark results',
    '',
    `Machine: ${start.cpu}, ${start.cores} cores. Node ${process.version}. One \`npm run bench\`, ${took.toFixed(1)} minutes.`,
    `Load average (1, 5, 15 min) at the start: ${load(start)}; at the end: ${load(end)}` +
      (Math.max(start.load[0] ?? 0, end.load[0] ?? 0) > start.cores
        ? ` — the machine was shared and busy (more runnable processes than cores), so absolute times are inflated; the ratios compare runs interleaved under the same load.`
        : '.'),
    '',
    'Each figure is a median of several runs; each baseline was measured in the same run, interleaved with ours.',
    '',
    '| # | Measure | Ours | Baseline | Ratio | Goal | Met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...all.map(
      (row, i) =>
        `| ${i + 1} | ${row.what} | ${row.ours} | ${row.baseline} | ${row.ratioText} | ${row.goal} | ${row.met ? 'yes' : '**no**'} |`,
    ),
    '',
    ...all
      .filter((row) => row.note)
      .map((row) => `- ${row.what.replace(/ \(vs .*$/, '')}: ${row.note ?? ''}`),
    '',
  ];
  return lines.join('\n');
}
