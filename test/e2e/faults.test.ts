import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { FAULTS, startFaultProxy, type Fault, type FaultProxy } from '../../lab/fault-proxy.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { judge, Tally } from '../../lab/outcomes.ts';
import { resetScenario, stateProblems, type Scenario } from '../../lab/rollout-state.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_faultlab';
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

interface Rollout {
  scenario: Scenario;
  repository: string;
  inputs: Record<string, string>;
}

let github: ReleaseServer;
const lanes: Lane[] = [];
const rollouts: Rollout[] = [];

async function fixture(kind: 'secrets' | 'auth', name: string, version: string) {
  return {
    version,
    sha256: await sha256File(fixtureBinary(SERVER, kind, version)),
    command: `${name}-${version}`,
  };
}

beforeAll(async () => {
  github = await startReleaseServer({ token: GITHUB_TOKEN });
  const secret: Scenario = {
    type: 'secret',
    name: 'acme',
    mounts: ['s1', 's2', 'team/s3'],
    from: await fixture('secrets', 'acme', 'v1.0.0'),
    to: await fixture('secrets', 'acme', 'v1.0.1'),
  };
  const auth: Scenario = {
    type: 'auth',
    name: 'acme-auth',
    mounts: ['a1', 'a2', 'a3'],
    from: await fixture('auth', 'acme-auth', 'v1.0.0'),
    to: await fixture('auth', 'acme-auth', 'v1.0.1'),
  };
  github.publish({
    ...pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
    repo: 'acme-secrets',
  });
  github.publish({
    ...pluginRelease({
      server: SERVER,
      name: 'acme-auth',
      kind: 'auth',
      version: 'v1.0.1',
      format: 'tar.gz',
    }),
    repo: 'acme-auth',
  });
  rollouts.push(
    {
      scenario: secret,
      repository: 'acme/acme-secrets',
      inputs: {
        'plugin-type': 'secret',
        'plugin-name': 'acme',
        artifact: assetTemplate('acme', 'zip'),
        mounts: secret.mounts.join('\n'),
        canary: 's1',
        'batch-size': '1',
        probe: 'info',
      },
    },
    {
      scenario: auth,
      repository: 'acme/acme-auth',
      inputs: {
        'plugin-type': 'auth',
        'plugin-name': 'acme-auth',
        artifact: assetTemplate('acme-auth', 'tar.gz'),
        mounts: auth.mounts.join('\n'),
      },
    },
  );
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const server = await startServer(SERVER);
      lanes.push({ server, proxy: await startFaultProxy(server.address) });
      await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
      await installPlugin(server, 'auth', 'acme-auth', 'auth', 'v1.0.0');
      for (const path of secret.mounts) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
      for (const path of auth.mounts)
        await enableMount(server, 'auth', path, 'acme-auth', 'v1.0.0');
    }),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all([github.close(), ...lanes.flatMap((l) => [l.proxy.close(), l.server.stop()])]);
}, 60_000);

async function runOn(lane: Lane, rollout: Rollout): Promise<RunResult> {
  return runAction({
    ref: 'refs/tags/v1.0.1',
    repository: rollout.repository,
    apiUrl: github.apiUrl,
    inputs: {
      url: lane.proxy.url,
      token: lane.server.token,
      'github-token': GITHUB_TOKEN,
      'plugin-directory': lane.server.pluginDir,
      // Short enough that a lost answer is given up on and retried within a second or two.
      timeout: '8',
      ...rollout.inputs,
    },
  });
}

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
      for (const rollout of rollouts) {
        await resetScenario(first.server, rollout.scenario);
        first.proxy.arm(0, null);
        const clean = await runOn(first, rollout);
        expect(clean.exitCode, clean.log).toBe(0);
        expect(await stateProblems(first.server, rollout.scenario, clean)).toEqual([]);
        const requests = first.proxy.seen.length;
        const offset = rollouts.indexOf(rollout);
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
          `fault matrix (${rollouts.map((r) => r.scenario.type).join(' + ')} rollouts × requests × ${FULL ? `${String(FAULTS.length)} faults` : 'one fault each'}, ${seconds} s):`,
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
