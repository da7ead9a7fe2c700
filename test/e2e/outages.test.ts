import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultLab, sample, type FaultLab, type Rollout } from '../../lab/fault-lab.ts';
import { OUTAGES, startFaultProxy, type FaultProxy, type Outage } from '../../lab/fault-proxy.ts';
import { judge, Tally, type Verdict } from '../../lab/outcomes.ts';
import { startRestartableServer, type RestartableServer } from '../../lab/restartable-server.ts';
import { resetScenario, stateProblems, type ScenarioServer } from '../../lab/rollout-state.ts';
import type { RunResult } from '../../lab/runner.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();
/** OpenBao runs the full outage and crash matrices, Vault a part of them; LAB_FAULT_MATRIX=full runs all everywhere. */
const FULL_RUN = process.env.LAB_FAULT_MATRIX === 'full';
const FULL = SERVER === 'openbao' || FULL_RUN;
const SEED = 18;
const WORKERS = 3;
/**
 * The inputs of a run that meets a lasting fault: a call gives up after 2 s,
 * and the whole run may take 40 s (run-timeout), the README's bound.
 */
const PATIENCE = { timeout: '3', 'verify-timeout': '20', 'run-timeout': '40' };
/** A run's own start and the artifact download, before the bound's clock starts at connecting. */
const START_SLACK_MS = 15_000;

/** A restart that unseals at once (auto-unseal), and one that waits sealed for an operator. */
const CRASHES = ['crash, unsealed at once', 'crash, restarted sealed'] as const;

interface Lane<S> {
  server: S;
  proxy: FaultProxy;
}

type Server = ScenarioServer & { token: string; address: string };

interface Cell {
  rollout: Rollout;
  k: number;
  kind: string;
}

let lab: FaultLab;
const dev: Lane<LabServer>[] = [];
const restartable: Lane<RestartableServer>[] = [];
/** How many requests a clean run of each rollout makes. */
const requests = new Map<Rollout, number>();

beforeAll(async () => {
  lab = await startFaultLab(SERVER);
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const [server, restarting] = await Promise.all([
        startServer(SERVER),
        startRestartableServer(SERVER),
      ]);
      for (const s of [server, restarting]) await lab.seed(s);
      dev.push({ server, proxy: await startFaultProxy(server.address) });
      restartable.push({ server: restarting, proxy: await startFaultProxy(restarting.address) });
    }),
  );
  const first = dev[0];
  if (!first) throw new Error('no lab server');
  for (const rollout of lab.rollouts) {
    await resetScenario(first.server, rollout.scenario);
    first.proxy.arm(0, null);
    const clean = await lab.run(first.proxy.url, first.server, rollout);
    expect(clean.exitCode, clean.log).toBe(0);
    requests.set(rollout, first.proxy.seen.length);
  }
}, 300_000);

afterAll(async () => {
  await Promise.all([
    lab.close(),
    ...[...dev, ...restartable].flatMap((l) => [l.proxy.close(), l.server.stop()]),
  ]);
}, 60_000);

/** Every request of both rollouts, with the kinds of `kinds` to meet there; a seeded sample off OpenBao. */
function cellsOf(
  kinds: readonly string[],
  sampleSize: number,
): { cells: Cell[]; coverage: string } {
  const all: Cell[] = [];
  for (const rollout of lab.rollouts) {
    for (let k = 1; k <= (requests.get(rollout) ?? 0); k++) {
      for (const kind of kinds) all.push({ rollout, k, kind });
    }
  }
  if (FULL) return { cells: all, coverage: `all ${all.length} cells` };
  const cells = sample(all, sampleSize, SEED);
  return { cells, coverage: `${cells.length} of ${all.length} cells, seed ${SEED}` };
}

/** Runs the cells spread over the lanes, one at a time per lane; returns the problems, one line per failed cell. */
async function runCells<S>(
  lanes: Lane<S>[],
  cells: Cell[],
  one: (lane: Lane<S>, cell: Cell) => Promise<{ where: string; verdict: Verdict; run: RunResult }>,
  tally: Tally,
): Promise<string[]> {
  const failures: string[] = [];
  let next = 0;
  await Promise.all(
    lanes.map(async (lane) => {
      for (let cell = cells[next++]; cell; cell = cells[next++]) {
        const { where, verdict, run } = await one(lane, cell);
        tally.add(cell.kind, verdict);
        if (verdict.problems.length > 0) {
          failures.push(`${where}: ${verdict.problems.join('; ')}\n${run.errors.join('\n')}`);
        }
      }
    }),
  );
  return failures;
}

/** One kind per request, the next kind at the next request, so every kind meets every stage. */
function inTurn(cells: Cell[], kinds: readonly string[]): Cell[] {
  return cells.filter(
    (c) => kinds.indexOf(c.kind) === (c.k + lab.rollouts.indexOf(c.rollout)) % kinds.length,
  );
}

function place(lane: Lane<unknown>, cell: Cell): string {
  const hit = lane.proxy.seen[cell.k - 1];
  return `${cell.rollout.scenario.type} ${cell.kind} at #${cell.k} (${hit ? `${hit.method} ${hit.path}` : 'never reached'})`;
}

/** After the fault is gone, running again must finish the rollout: exit 0, every mount on the new version. */
async function rerunProblems(lane: Lane<Server>, rollout: Rollout): Promise<string[]> {
  lane.proxy.arm(0, null);
  const again = await lab.run(lane.proxy.url, lane.server, rollout);
  const problems = await stateProblems(lane.server, rollout.scenario, again);
  if (again.exitCode !== 0)
    problems.push(`the rerun exited ${again.exitCode}: ${again.errors.join(' ')}`);
  return problems.map((p) => `rerun: ${p}`);
}

function report(title: string, coverage: string, tally: Tally, started: number): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    [`${title} (${coverage}, ${seconds} s):`, ...tally.lines().map((l) => `  ${l}`)].join('\n'),
  );
}

describe('a server that stays unreachable from request k on, then comes back', () => {
  it('ends within run-timeout, says what it knows, and converges on a rerun', async () => {
    const started = performance.now();
    // OpenBao meets both outages at every request; Vault one, the two in turn (both with LAB_FAULT_MATRIX=full).
    const all = cellsOf(OUTAGES, 1_000).cells;
    const cells = FULL ? all : inTurn(all, OUTAGES);
    const coverage = FULL
      ? `all ${all.length} cells`
      : `${cells.length} of ${all.length} cells: every request, the ${OUTAGES.length} outages in turn`;
    const tally = new Tally();
    const failures = await runCells(
      dev,
      cells,
      async (lane, cell) => {
        const { rollout, k } = cell;
        await resetScenario(lane.server, rollout.scenario);
        lane.proxy.arm(k, cell.kind as Outage);
        const began = performance.now();
        const run = await lab.run(lane.proxy.url, lane.server, rollout, PATIENCE);
        const took = performance.now() - began;
        lane.proxy.heal();
        const where = place(lane, cell);
        const verdict = await judge(lane.server, rollout.scenario, run);
        if (!lane.proxy.fired()) verdict.problems.push('the outage never began');
        const bound = Number(PATIENCE['run-timeout']) * 1000 + START_SLACK_MS;
        if (took > bound) verdict.problems.push(`the run took ${Math.round(took)} ms`);
        if (run.summary.includes('answered 0'))
          verdict.problems.push('the summary quotes status 0');
        if (verdict.outcome !== 'succeeded') {
          verdict.problems.push(...(await rerunProblems(lane, rollout)));
        }
        return { where, verdict, run };
      },
      tally,
    );
    report('lasting outages', coverage, tally, started);
    expect(failures).toEqual([]);
    expect(tally.notSucceeded()).toBeGreaterThanOrEqual(1 / 3);
  }, 1_200_000);
});

describe('the server is killed (SIGKILL) at request k and restarted on its storage', () => {
  it('leaves every mount on a version the catalog holds with its hash, and converges on a rerun', async () => {
    const started = performance.now();
    // Every request meets a crash, the two restarts in turn; on Vault a seeded sample of those.
    const turned = inTurn(cellsOf(CRASHES, 1_000).cells, CRASHES);
    const cells = FULL ? turned : sample(turned, 20, SEED);
    const coverage = FULL
      ? `${cells.length} cells: every request, the ${CRASHES.length} restarts in turn`
      : `${cells.length} of ${turned.length} cells (every request, the restarts in turn), seed ${SEED}`;
    const tally = new Tally();
    const failures = await runCells(
      restartable,
      cells,
      async (lane, cell) => {
        const { rollout, k } = cell;
        await resetScenario(lane.server, rollout.scenario);
        let back: Promise<void> = Promise.resolve();
        const sealed = cell.kind === 'crash, restarted sealed';
        lane.proxy.arm(k, null, async () => {
          await lane.server.crash();
          // It comes back on its own, as a supervisor restarts it; the request meets it down.
          back = lane.server.restart({ unseal: !sealed });
        });
        const run = await lab.run(lane.proxy.url, lane.server, rollout, sealed ? PATIENCE : {});
        await back;
        // Sealed, it answers 503 until an operator unseals it, after the run.
        if (sealed && lane.proxy.fired()) await lane.server.unseal();
        const where = place(lane, cell);
        const verdict = await judge(lane.server, rollout.scenario, run);
        if (!lane.proxy.fired()) verdict.problems.push('the server was never killed');
        if (verdict.outcome !== 'succeeded') {
          verdict.problems.push(...(await rerunProblems(lane, rollout)));
        }
        return { where, verdict, run };
      },
      tally,
    );
    report('crash and restart', coverage, tally, started);
    expect(failures).toEqual([]);
  }, 1_200_000);
});

const DEPLOYER =
  'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }\n';
/** The same policy without the tunes: a rollout can no longer move a mount, nor move it back. */
const NARROWED = `${DEPLOYER}path "sys/mounts/*" { capabilities = ["deny"] }\npath "sys/auth/*" { capabilities = ["deny"] }\n`;
const PERMISSION_LOSSES = ['token revoked', 'policy narrowed'] as const;

async function deployerToken(server: LabServer): Promise<string> {
  await server.api('PUT', 'sys/policies/acl/deployer', { policy: DEPLOYER });
  const created = await server.api<{ auth: { client_token: string } }>(
    'POST',
    'auth/token/create',
    {
      policies: ['deployer'],
      ttl: '10m',
    },
  );
  if (!created) throw new Error('no token created');
  return created.auth.client_token;
}

describe('the token is revoked, or its policy narrowed, at request k', () => {
  it('stops or rolls back, naming the capability and the path it lacks', async () => {
    const started = performance.now();
    const all = cellsOf(PERMISSION_LOSSES, 1_000).cells;
    const cells = FULL_RUN ? all : inTurn(all, PERMISSION_LOSSES);
    const coverage = FULL_RUN
      ? `all ${all.length} cells`
      : `${cells.length} of ${all.length} cells: every request, the ${PERMISSION_LOSSES.length} losses in turn`;
    const tally = new Tally();
    const failures = await runCells(
      dev,
      cells,
      async (lane, cell) => {
        const { rollout, k } = cell;
        await resetScenario(lane.server, rollout.scenario);
        const token = await deployerToken(lane.server);
        lane.proxy.arm(k, null, async () => {
          if (cell.kind === 'token revoked') {
            await lane.server.api('POST', 'auth/token/revoke', { token });
          } else {
            await lane.server.api('PUT', 'sys/policies/acl/deployer', { policy: NARROWED });
          }
        });
        const run = await lab.run(lane.proxy.url, { ...lane.server, token }, rollout);
        await lane.server.api('PUT', 'sys/policies/acl/deployer', { policy: DEPLOYER });
        const where = place(lane, cell);
        const verdict = await judge(lane.server, rollout.scenario, run);
        if (!lane.proxy.fired()) verdict.problems.push('the permission was never taken');
        if (run.exitCode !== 0) {
          const [error = ''] = run.errors;
          if (
            !/lacks "[a-z]+"(?: and "[a-z]+")? on [\w/+.-]+/.test(error) ||
            error.includes('\n')
          ) {
            verdict.problems.push(`the error does not name the capability and path: ${error}`);
          }
        }
        if (verdict.outcome !== 'succeeded') {
          verdict.problems.push(
            ...(await rerunProblems(
              { ...lane, server: { ...lane.server, token: await deployerToken(lane.server) } },
              rollout,
            )),
          );
        }
        return { where, verdict, run };
      },
      tally,
    );
    report('permission loss', coverage, tally, started);
    expect(failures).toEqual([]);
  }, 1_200_000);
});
