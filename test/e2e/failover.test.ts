import { constants, copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterNode, type LabCluster } from '../../lab/cluster.ts';
import { startFaultLab, type FaultLab, type Rollout } from '../../lab/fault-lab.ts';
import { startFaultProxy, type FaultProxy } from '../../lab/fault-proxy.ts';
import { judge, Tally, type Outcome } from '../../lab/outcomes.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { resetScenario, type ScenarioServer } from '../../lab/rollout-state.ts';
import { catalogEntry, liveMount } from '../../lab/seed.ts';
import { serverUnderTest } from '../../lab/server.ts';

const SERVER = serverUnderTest();
/** Where in the rollout the leader steps down: this many points, spread evenly over its requests. */
const POINTS = 5;
const SETTLE_TRIES = 100;

let lab: FaultLab;
let cluster: LabCluster;
let secret: Rollout;
/** The node the action talks to, through the proxy: active when the run starts, a standby after the step-down. */
let front: ClusterNode;
let proxy: FaultProxy;

beforeAll(async () => {
  [lab, cluster] = await Promise.all([startFaultLab(SERVER), startCluster(SERVER, { nodes: 3 })]);
  const [first] = lab.rollouts;
  if (!first) throw new Error('no rollout');
  secret = first;
  front = await cluster.active();
  await cluster.everyNodeVotes();
  await lab.seed(cluster.via(front));
  proxy = await startFaultProxy(front.address);
}, 180_000);

afterAll(async () => {
  await Promise.all([lab.close(), proxy.close(), cluster.stop()]);
}, 60_000);

/** One node's view, through its own address. */
function viewOf(node: ClusterNode): ScenarioServer {
  return { api: cluster.via(node).api, pluginDir: node.pluginDir };
}

/** Every node back on the old version: the lab's reset reloads the active node only. */
async function reset(): Promise<void> {
  const active = await cluster.active();
  await resetScenario(viewOf(active), secret.scenario);
  await cluster.api(active, 'PUT', 'sys/plugins/reload/backend', {
    mounts: secret.scenario.mounts,
    scope: 'global',
  });
  // OpenBao's standbys answer catalog reads themselves: the next run must not plan from an entry they still hold.
  for (let i = 0; i < SETTLE_TRIES; i++) {
    const held = await Promise.all(
      cluster.nodes.map((node) =>
        catalogEntry(viewOf(node), 'secret', secret.scenario.name, secret.scenario.to.version),
      ),
    );
    if (held.every((entry) => entry === null)) break;
    await sleep(100);
  }
  await deliver();
}

/** Until every node answers reads itself again: one that just stepped down redirects for a moment. */
async function everyNodeAnswers(): Promise<void> {
  for (const node of cluster.nodes) {
    for (let i = 0; i < SETTLE_TRIES; i++) {
      const answered = await liveMount(viewOf(node), 'secret', 's1').then(
        () => true,
        () => false,
      );
      if (answered) break;
      await sleep(100);
    }
  }
}

/** The new binary on every node, as configuration management would put it there. */
async function deliver(): Promise<void> {
  const { to } = secret.scenario;
  for (const node of cluster.nodes) {
    // A node may be running it from the last cell: the same bytes, left in place.
    await copyFile(
      fixtureBinary(SERVER, 'secrets', to.version),
      join(node.pluginDir, to.command),
      constants.COPYFILE_EXCL,
    ).catch((error: unknown) => {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    });
  }
}

function run() {
  return lab.run(proxy.url, { ...viewOf(front), token: cluster.token }, secret, {
    nodes: cluster.nodes.map((n) => n.address).join('\n'),
    'verify-timeout': '30',
  });
}

describe('the leader steps down in the middle of a rollout', () => {
  it('completes or rolls back, verified on every node', async () => {
    const started = performance.now();
    await reset();
    proxy.arm(0, null);
    const clean = await run();
    expect(clean.exitCode, clean.log).toBe(0);
    const requests = proxy.seen.length;
    const points = Array.from({ length: POINTS }, (_, i) =>
      Math.max(1, Math.round(((i + 1) * requests) / (POINTS + 1))),
    );
    const tally = new Tally();
    const failures: string[] = [];
    for (const k of points) {
      await reset();
      // Each rollout starts at the active node, as a load balancer's health check would pick it.
      front = await cluster.active();
      await proxy.close();
      proxy = await startFaultProxy(front.address);
      let leader = '';
      proxy.arm(k, null, async () => {
        const active = await cluster.active();
        leader = active.name;
        await cluster.api(active, 'PUT', 'sys/step-down');
      });
      const faulted = await run();
      const hit = proxy.seen[k - 1];
      const where = `step-down of ${leader || 'the leader'} at #${k} (${hit ? `${hit.method} ${hit.path}` : 'never reached'})`;
      await cluster.active();
      await everyNodeAnswers();
      const problems: string[] = [];
      if (!proxy.fired()) problems.push('the leader never stepped down');
      let outcome: Outcome = 'succeeded';
      for (const node of cluster.nodes) {
        const verdict = await judge(viewOf(node), secret.scenario, faulted);
        outcome = verdict.outcome;
        // Stopping with no mount moved is the third way to end whole: nothing runs differently.
        const whole =
          outcome === 'succeeded' ||
          outcome === 'rolled back' ||
          outcome === 'stopped before any write' ||
          faulted.summary.includes('Nothing to roll back: no mount was tuned.');
        if (!whole) problems.push(`${node.name}: ended ${outcome}`);
        problems.push(...verdict.problems.map((p) => `${node.name}: ${p}`));
      }
      if (outcome !== 'succeeded') {
        // The rerun, too, goes to the node that is active now, as a load balancer would send it.
        front = await cluster.active();
        await proxy.close();
        proxy = await startFaultProxy(front.address);
        proxy.arm(0, null);
        const again = await run();
        await everyNodeAnswers();
        if (again.exitCode !== 0)
          problems.push(`the rerun exited ${again.exitCode}: ${again.errors.join(' ')}`);
        for (const node of cluster.nodes) {
          const verdict = await judge(viewOf(node), secret.scenario, again);
          problems.push(...verdict.problems.map((p) => `rerun, ${node.name}: ${p}`));
        }
      }
      tally.add('leader step-down', { outcome, problems });
      if (problems.length > 0)
        failures.push(`${where}: ${problems.join('; ')}\n${faulted.errors.join('\n')}`);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    console.log(
      [
        `leader change (requests ${points.map((k) => `#${k}`).join(', ')} of ${requests}, ${seconds} s):`,
        ...tally.lines().map((l) => `  ${l}`),
      ].join('\n'),
    );
    expect(failures).toEqual([]);
  }, 600_000);
});
