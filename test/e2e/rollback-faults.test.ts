import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultLab, sample, type FaultLab, type Rollout } from '../../lab/fault-lab.ts';
import {
  FAULTS,
  OUTAGES,
  startFaultProxy,
  type Fault,
  type FaultProxy,
  type Outage,
} from '../../lab/fault-proxy.ts';
import { judge, Tally } from '../../lab/outcomes.ts';
import { resetScenario, stateProblems } from '../../lab/rollout-state.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();
/** OpenBao runs every cell; Vault a seeded sample (LAB_FAULT_MATRIX=full runs all). */
const FULL = SERVER === 'openbao' || process.env.LAB_FAULT_MATRIX === 'full';
const SEED = 18;
const WORKERS = 3;
const KINDS: readonly (Fault | Outage)[] = [...FAULTS, ...OUTAGES];
/** A probe path the plugin does not serve: the canary fails its probe, and the run rolls it back. */
const FAILING_PROBE = {
  probe: 'no-such-path',
  timeout: '2',
  'verify-timeout': '20',
  'run-timeout': '40',
};

interface Lane {
  server: LabServer;
  proxy: FaultProxy;
}

let lab: FaultLab;
let secret: Rollout;
const lanes: Lane[] = [];

beforeAll(async () => {
  lab = await startFaultLab(SERVER);
  const [first] = lab.rollouts;
  if (!first) throw new Error('no rollout');
  secret = first;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const server = await startServer(SERVER);
      await lab.seed(server);
      lanes.push({ server, proxy: await startFaultProxy(server.address) });
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all([lab.close(), ...lanes.flatMap((l) => [l.proxy.close(), l.server.stop()])]);
}, 60_000);

describe('faults at every request of a rollback', () => {
  it('leave every mount on its previous or its target version, as the summary and result say', async () => {
    const started = performance.now();
    const first = lanes[0];
    if (!first) throw new Error('no lab server');
    await resetScenario(first.server, secret.scenario);
    first.proxy.arm(0, null);
    const forced = await lab.run(first.proxy.url, first.server, secret, FAILING_PROBE);
    expect(forced.outputs['rolled-back'], forced.log).toBe('true');
    expect(await stateProblems(first.server, secret.scenario, forced)).toEqual([]);
    // The rollback's requests are those after the failed probe.
    const probe = first.proxy.seen.findIndex((r) => r.path.includes('no-such-path'));
    expect(probe).toBeGreaterThan(0);
    const all: { k: number; kind: Fault | Outage }[] = [];
    for (let k = probe + 2; k <= first.proxy.seen.length; k++) {
      for (const kind of KINDS) all.push({ k, kind });
    }
    const cells = FULL ? all : sample(all, 24, SEED);
    const coverage = FULL
      ? `all ${all.length} cells: requests #${probe + 2}–#${first.proxy.seen.length} × ${KINDS.length} faults`
      : `${cells.length} of ${all.length} cells, seed ${SEED}`;
    const tally = new Tally();
    const failures: string[] = [];
    let next = 0;
    await Promise.all(
      lanes.map(async (lane) => {
        for (let cell = cells[next++]; cell; cell = cells[next++]) {
          const { k, kind } = cell;
          await resetScenario(lane.server, secret.scenario);
          lane.proxy.arm(k, kind);
          const run = await lab.run(lane.proxy.url, lane.server, secret, FAILING_PROBE);
          lane.proxy.heal();
          const hit = lane.proxy.seen[k - 1];
          const verdict = await judge(lane.server, secret.scenario, run);
          if (!lane.proxy.fired()) verdict.problems.push('the fault was never injected');
          if (verdict.outcome === 'succeeded') verdict.problems.push('a failing probe passed');
          // The same rollout with a probe the plugin serves must then finish.
          lane.proxy.arm(0, null);
          const again = await lab.run(lane.proxy.url, lane.server, secret);
          for (const p of await stateProblems(lane.server, secret.scenario, again)) {
            verdict.problems.push(`rerun: ${p}`);
          }
          if (again.exitCode !== 0) verdict.problems.push(`rerun exited ${again.exitCode}`);
          tally.add(kind, verdict);
          if (verdict.problems.length > 0) {
            const where = `${kind} at #${k} (${hit ? `${hit.method} ${hit.path}` : 'never reached'})`;
            failures.push(`${where}: ${verdict.problems.join('; ')}\n${run.errors.join('\n')}`);
          }
        }
      }),
    );
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      [
        `faults during the rollback (${coverage}, ${seconds} s):`,
        ...tally.lines().map((l) => `  ${l}`),
      ].join('\n'),
    );
    expect(failures).toEqual([]);
  }, 1_200_000);
});
