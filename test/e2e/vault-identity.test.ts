import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type ClusterNode, type LabCluster } from '../../lab/cluster.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_identitylab';

let github: ReleaseServer;
let single: LabServer;
let cluster: LabCluster;
let active: ClusterNode;
/** As the action names it: `Vault 1.21.0 community` or `OpenBao 2.7.2 community`. */
let product = '';

beforeAll(async () => {
  [github, single, cluster] = await Promise.all([
    startReleaseServer({ token: GITHUB_TOKEN }),
    startServer(SERVER),
    startCluster(SERVER, { nodes: 3 }),
  ]);
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  product = `${single.product} community`;
  active = await cluster.active();
  // sys/ha-status lists the nodes that have reported to the active node; standbys report within seconds of joining.
  for (let i = 0; i < 100; i++) {
    const status = await cluster.api<{ data: { nodes: unknown[] } }>(
      active,
      'GET',
      'sys/ha-status',
    );
    if (status?.data.nodes.length === 3) break;
    await sleep(200);
  }
  for (const target of [single, cluster.via(active)]) {
    await installPlugin(target, 'secret', 'acme', 'secrets', 'v1.0.0');
    await enableMount(target, 'secret', 'acme', 'acme', 'v1.0.0');
  }
});

afterAll(async () => {
  await Promise.all([github.close(), single.stop(), cluster.stop()]);
});

function plan(url: string, token: string): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    ref: 'refs/tags/v1.0.1',
    inputs: {
      url,
      token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: assetTemplate('acme', 'zip'),
      mounts: 'acme',
      'dry-run': 'true',
    },
  });
}

describe('the server the summary and log name', () => {
  it('a dev server is a single node', async () => {
    const run = await plan(single.address, single.token);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.log).toContain(`server: ${product}, single node`);
    expect(run.summary).toContain(`- ${product}, single node`);
  });

  it('a cluster is named by its node count, read from sys/ha-status', async () => {
    const run = await plan(active.address, cluster.token);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.log).toContain(`server: ${product}, 3 nodes\n`);
    expect(run.summary).toContain(`- ${product}, 3 nodes\n`);
  });

  it('through a standby, it says so and names the active node', async () => {
    const standby = cluster.nodes.find((node) => node !== active);
    if (!standby) throw new Error('no standby');

    const run = await plan(standby.address, cluster.token);

    expect(run.exitCode, run.log).toBe(0);
    // Server text is written with its colons as entities, so no address becomes a link.
    const shown = run.summary.replace(/&#(\d+);/g, (_, code: string) =>
      String.fromCharCode(Number(code)),
    );
    expect(shown).toContain(`- ${product}, 3 nodes, answered by a standby of ${active.address}`);
  });
});
