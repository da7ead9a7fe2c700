import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FixtureFlavor, ServerKind } from '../lab/paths.ts';
import { startReleaseServer } from '../lab/release-server.ts';
import { enableMount, installPlugin } from '../lab/seed.ts';
import { startServer } from '../lab/server.ts';
import type { CallKind, KindTotals } from './action-log.ts';
import { fmtSeconds, median, type BenchOptions } from './lib.ts';
import {
  GITHUB_TOKEN,
  PLUGIN,
  actionRollout,
  cliRollout,
  expertRollout,
  type Mounts,
  type Release,
  type Timed,
} from './procedures.ts';
import { VERSIONS, expectRunning, inNamespace, publish } from './releases.ts';
import { tunesBesideReload, type TunesBesideReload } from './tunes-beside-reload.ts';

/** One build of the lab's secrets plugin, and the mount counts to roll it out to. */
export interface PluginBuild {
  flavor: FixtureFlavor;
  /** How the tables name it. */
  label: string;
  counts: readonly number[];
}

export interface RolloutBench extends BenchOptions {
  servers: readonly ServerKind[];
  builds: readonly PluginBuild[];
  /**
   * Rounds at each size: the action and the script take a turn in every
   * one, the CLI procedure, which takes minutes at the largest sizes, in the
   * first `cli` of them.
   */
  runs: (mounts: number) => { rounds: number; cli: number };
  /**
   * One more rollout, on OpenBao (Vault's community edition has no
   * namespaces) with the first build: `mounts` mounts in each of `count`
   * namespaces.
   */
  namespaces: { count: number; mounts: number } | null;
}

/** The medians of one rollout size, each procedure measured in the same rounds. */
export interface Measured {
  kind: ServerKind;
  /** e.g. `OpenBao 2.7.2`. */
  product: string;
  flavor: FixtureFlavor;
  build: string;
  /** Mounts in all. */
  mounts: number;
  /** Namespaces the mounts are spread over; 0 for the root namespace alone. */
  namespaces: number;
  runs: { rounds: number; cli: number };
  action: number;
  cli: number;
  expert: number;
  /** The server's time in the action's reload calls. */
  floor: number;
  /**
   * Each a median of ratios taken turn by turn, so a server that slows over
   * successive rollouts weighs on both sides of every ratio: the action
   * against the script and the CLI procedure of its own round, and its time
   * above the reload against the reload of the same run.
   */
  paired: { expert: number; cli: number; aboveFloor: number; overFloor: number };
  actionParts: Map<string, number>;
  kinds: Map<CallKind, KindTotals>;
  cliParts: Map<string, number>;
  expertParts: Map<string, number>;
  /** Measured on this row's server after its rollouts; null where it had too few mounts. */
  tunesBesideReload: TunesBesideReload | null;
}

/**
 * Goals of the rollout: the same mounts moved three ways against one server,
 * in turn — the action (`node dist/index.js`, start-up, download and checks
 * included), the CLI procedure and the expert's script — each to the
 * version the mounts do not run, alternating between two releases. Before
 * each turn the version it rolls out is taken out of the catalog and its
 * file out of the plugin directory, so every turn is a first rollout of a
 * release.
 */
export async function benchRollout(bench: RolloutBench): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const kind of bench.servers) {
    for (const build of bench.builds) {
      const sizes = build.counts.map((count) => ({ namespaces: [''], count }));
      measured.push(...(await onServer(kind, build, sizes, bench)));
    }
    const first = bench.builds[0];
    if (kind === 'openbao' && bench.namespaces && first) {
      const { count, mounts } = bench.namespaces;
      const names = Array.from({ length: count }, (_, i) => `team-${i + 1}`);
      const rooted = measured.find((m) => m.kind === kind && m.flavor === first.flavor);
      for (const row of await onServer(
        kind,
        first,
        [{ namespaces: names, count: mounts }],
        bench,
      )) {
        measured.push({ ...row, tunesBesideReload: rooted?.tunesBesideReload ?? null });
      }
    }
  }
  return measured;
}

interface Size {
  namespaces: readonly string[];
  /** Mounts in each namespace. */
  count: number;
}

async function onServer(
  kind: ServerKind,
  build: PluginBuild,
  sizes: readonly Size[],
  bench: RolloutBench,
): Promise<Measured[]> {
  const [server, github, work] = await Promise.all([
    startServer(kind),
    startReleaseServer({ token: GITHUB_TOKEN }),
    mkdtemp(join(tmpdir(), 'bench-rollout-')),
  ]);
  const measured: Measured[] = [];
  try {
    const releases = await publish(github, kind, build.flavor);
    await installPlugin(server, 'secret', PLUGIN, 'secrets', VERSIONS[0], build.flavor);
    const state = { running: 0, mounted: 0 };
    for (const size of sizes) {
      for (const namespace of size.namespaces.filter(Boolean)) {
        await server.api('POST', `sys/namespaces/${namespace}`, {});
      }
      // New mounts join at the version the others run, so every turn moves every mount.
      for (; state.mounted < size.count; state.mounted++) {
        for (const namespace of size.namespaces) {
          await enableMount(
            inNamespace(server, namespace),
            'secret',
            `bench-${state.mounted}`,
            PLUGIN,
            VERSIONS[state.running] ?? '',
          );
        }
      }
      const paths = Array.from({ length: size.count }, (_, i) => `bench-${i}`);
      const file = join(work, `mounts-${size.count}`);
      await writeFile(file, `${paths.join('\n')}\n`);
      const mounts: Mounts = { server, namespaces: size.namespaces, paths, file };
      const total = size.count * size.namespaces.length;
      const m = await measureSize(
        mounts,
        build.flavor,
        releases,
        github.apiUrl,
        state,
        bench.runs(total),
      );
      const row: Measured = {
        ...m,
        kind,
        product: server.product,
        flavor: build.flavor,
        build: build.label,
        mounts: total,
        namespaces: size.namespaces.filter(Boolean).length,
      };
      measured.push(row);
      bench.log(
        `${row.product}, ${build.label}, ${total} mounts${row.namespaces ? ` in ${row.namespaces} namespaces` : ''}: action ${fmtSeconds(row.action)} (reload ${fmtSeconds(row.floor)}), CLI ${fmtSeconds(row.cli)}, expert ${fmtSeconds(row.expert)}`,
      );
    }
    // The namespaced rollouts have no root mounts to measure with; they take the root's figure.
    if (sizes.every((size) => size.namespaces.includes(''))) {
      const beside = await tunesBesideReload(server, state.mounted, state.running);
      for (const row of measured) row.tunesBesideReload = beside;
    }
  } finally {
    await Promise.all([server.stop(), github.close(), rm(work, { recursive: true, force: true })]);
  }
  return measured;
}

type Procedure = 'action' | 'cli' | 'expert';

async function measureSize(
  mounts: Mounts,
  flavor: FixtureFlavor,
  releases: readonly Release[],
  githubApi: string,
  state: { running: number },
  runs: { rounds: number; cli: number },
): Promise<Omit<Measured, 'kind' | 'product' | 'flavor' | 'build' | 'mounts' | 'namespaces'>> {
  const { server } = mounts;
  const times: Record<Procedure, Timed[]> = { action: [], cli: [], expert: [] };
  const againstReload: { seconds: number; floor: number }[] = [];
  const kinds: Map<CallKind, KindTotals>[] = [];
  const turn = async (procedure: Procedure | 'warm-up'): Promise<number> => {
    const next = 1 - state.running;
    const release = releases[next];
    if (!release) throw new Error('two releases are published');
    await server.api('DELETE', `sys/plugins/catalog/secret/${PLUGIN}?version=${release.version}`);
    const file = join(server.pluginDir, `${PLUGIN}-${release.version}`);
    await rm(file, { force: true });
    let run: Timed;
    if (procedure === 'action') {
      const action = await actionRollout(mounts, release, githubApi);
      againstReload.push({ seconds: action.seconds, floor: action.floor });
      kinds.push(action.kinds);
      run = action;
    } else if (procedure === 'cli') {
      run = await cliRollout(mounts, release);
    } else {
      run = await expertRollout(mounts, release);
    }
    if (procedure !== 'warm-up') times[procedure].push(run);
    await expectRunning(mounts, release);
    state.running = next;
    return run.seconds;
  };
  // Untimed: no measured turn is the first after mounts were enabled.
  await turn('warm-up');
  const rounds: Partial<Record<Procedure, number>>[] = [];
  for (let round = 0; round < runs.rounds; round++) {
    const order: Procedure[] =
      round < runs.cli ? ['action', 'cli', 'expert'] : ['action', 'expert'];
    const took: Partial<Record<Procedure, number>> = {};
    // Each procedure takes each place in the order in turn, so none always follows the same one.
    for (let i = 0; i < order.length; i++) {
      const procedure = order[(round + i) % order.length] ?? 'action';
      took[procedure] = await turn(procedure);
    }
    rounds.push(took);
  }
  const against = (other: Procedure): number =>
    median(
      rounds.flatMap(({ action, [other]: baseline }) =>
        action && baseline ? [action / baseline] : [],
      ),
    );
  return {
    runs,
    action: median(times.action.map((t) => t.seconds)),
    cli: median(times.cli.map((t) => t.seconds)),
    expert: median(times.expert.map((t) => t.seconds)),
    floor: median(againstReload.map((r) => r.floor)),
    paired: {
      expert: against('expert'),
      cli: against('cli'),
      aboveFloor: median(againstReload.map((r) => r.seconds - r.floor)),
      overFloor: median(againstReload.map((r) => r.seconds / r.floor - 1)),
    },
    actionParts: medians(times.action.map((t) => t.parts)),
    cliParts: medians(times.cli.map((t) => t.parts)),
    expertParts: medians(times.expert.map((t) => t.parts)),
    kinds: new Map(
      [...(kinds[0]?.keys() ?? [])].map((kind) => {
        const of = kinds.map((k) => k.get(kind) ?? { count: 0, wall: 0, early: 0, sum: 0 });
        return [
          kind,
          {
            count: median(of.map((t) => t.count)),
            wall: median(of.map((t) => t.wall)),
            early: median(of.map((t) => t.early)),
            sum: median(of.map((t) => t.sum)),
          },
        ];
      }),
    ),
    tunesBesideReload: null,
  };
}

function medians(maps: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))];
  return new Map(keys.map((key) => [key, median(maps.map((m) => m.get(key) ?? 0))]));
}
