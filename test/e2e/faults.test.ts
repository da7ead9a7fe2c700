import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultLab, type FaultLab, type Rollout } from '../../lab/fault-lab.ts';
import { FAULTS, startFaultProxy, type Fault, type FaultProxy } from '../../lab/fault-proxy.ts';
import { judge, Tally } from '../../lab/outcomes.ts';
import { resetScenario, stateProblems } from '../../lab/rollout-state.ts';
import type { RunResult } from '../../lab/runner.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

/** Servers the matrix is spread over; each runs one cell at a time. */
const WORKERS = 3;
/**
 * OpenBao runs every fault at every request. Vault runs one fault per
 * request, the next fault in turn for the next request (and the two rollouts
 * start at different faults), so every request still meets a fault and every
 * fault meets requests throughout a rollout, in a sixth of the time.
 * LAB_FAULT_MATRIX=full runs every cell on Vault too.
 */
const FULL = SERVER === 'openbao' || process.env.LAB_FAULT_MATRIX === 'full';

interface Lane {
  server: LabServer;
  proxy: FaultProxy;
}

let lab: FaultLab;
const lanes: Lane[] = [];

beforeAll(async () => {
  lab = await startFaultLab(SERVER);
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const server = await startServer(SERVER);
      lanes.push({ server, proxy: await startFaultProxy(server.address) });
      await lab.seed(server);
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all([lab.close(), ...lanes.flatMap((l) => [l.proxy.close(), l.server.stop()])]);
}, 60_000);

const runOn = (lane: Lane, rollout: Rollout): Promise<RunResult> =>
  lab.run(lane.proxy.url, lane.server, rollout);

interface Cell {
  rollout: Rollout;
  k: number;
  fault: Fault;
}

describe('faults at the requests of a rollout leave the servers whole', () => {
  it(
    FULL ? 'runs the full matrix' : 'runs one fault per request, each fault in turn',
    async () => {
      const cells: Cell[] = [];
      const first = lanes[0];
      if (!first) throw new Error('no lab server');
      for (const rollout of lab.rollouts) {
        await resetScenario(first.server, rollout.scenario);
        first.proxy.arm(0, null);
        const clean = await runOn(first, rollout);
        expect(clean.exitCode, clean.log).toBe(0);
        expect(await stateProblems(first.server, rollout.scenario, clean)).toEqual([]);
        const requests = first.proxy.seen.length;
        const offset = lab.rollouts.indexOf(rollout);
        for (let k = 1; k <= requests; k++) {
          const faults = FAULTS.filter((_, i) => FULL || i === (k + offset) % FAULTS.length);
          for (const fault of faults) cells.push({ rollout, k, fault });
        }
      }
      const failures: string[] = [];
      const tally = new Tally();
      const started = performance.now();
      let next = 0;
      await Promise.all(
        lanes.map(async (lane) => {
          for (let cell = cells[next++]; cell; cell = cells[next++]) {
            const { rollout, k, fault } = cell;
            await resetScenario(lane.server, rollout.scenario);
            lane.proxy.arm(k, fault);
            const run = await runOn(lane, rollout);
            const hit = lane.proxy.seen[k - 1];
            const where = `${rollout.scenario.type} ${fault} at #${k} (${hit ? `${hit.method} ${hit.path}` : 'never reached'})`;
            const verdict = await judge(lane.server, rollout.scenario, run);
            if (!lane.proxy.fired()) verdict.problems.push('the fault was never injected');
            tally.add(fault, verdict);
            if (verdict.problems.length > 0) {
              failures.push(`${where}: ${verdict.problems.join('; ')}\n${errorLines(run)}`);
            }
          }
        }),
      );
      const seconds = ((performance.now() - started) / 1000).toFixed(0);
      console.log(
        [
          `fault matrix (${lab.rollouts.map((r) => r.scenario.type).join(' + ')} rollouts × requests × ${FULL ? `${String(FAULTS.length)} faults` : 'one fault each'}, ${seconds} s):`,
          ...tally.lines().map((l) => `  ${l}`),
        ].join('\n'),
      );
      expect(failures).toEqual([]);
    },
    900_000,
  );
});

function errorLines(run: RunResult): string {
  return run.log
    .split('\n')
    .filter((l) => l.startsWith('::error::'))
    .join('\n');
}
