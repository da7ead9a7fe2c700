import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { startCluster, type LabCluster, type ClusterNode } from '../../lab/cluster.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult, resultRows } from '../../lab/runner.ts';
import { executableOf, parentPid } from '../../lab/processes.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest } from '../../lab/server.ts';

const SERVER = serverUnderTest();

// Every node of a 3-node OpenBao cluster runs its own plugin processes, so a
// rollout is proven only when each node, read through its own address, runs
// the new binary. Vault community edition's standbys run none and forward
// every read to the active node; a standby starts the plugins from its own
// plugin directory only when it becomes active.

const GITHUB_TOKEN = 'ghs_nodeslab';
const MOUNTS = ['acme', 'team-a/acme'];

let cluster: LabCluster;
let github: ReleaseServer;
let active: ClusterNode;
const sha: Record<string, string> = {};

beforeAll(async () => {
  [cluster, github] = await Promise.all([
    startCluster(SERVER, { nodes: 3 }),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  active = await cluster.active();
  const seed = cluster.via(active);
  await installPlugin(seed, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of MOUNTS) await enableMount(seed, 'secret', path, 'acme', 'v1.0.0');
  for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
    sha[version] = await sha256File(fixtureBinary(SERVER, 'secrets', version));
    github.publish(
      pluginRelease({ server: SERVER, name: 'acme', kind: 'secrets', version, format: 'zip' }),
    );
  }
}, 120_000);

afterAll(async () => {
  await Promise.all([cluster.stop(), github.close()]);
});

/** Puts a release's binary where another delivery (configuration management) would: on the other nodes. */
async function deliverTo(nodes: readonly ClusterNode[], version: string): Promise<void> {
  for (const node of nodes) {
    await copyFile(
      fixtureBinary(SERVER, 'secrets', version),
      join(node.pluginDir, `acme-${version}`),
    );
  }
}

function rollout(tag: string, inputs: Record<string, string> = {}): Promise<RunResult> {
  return runAction({
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: {
      url: active.address,
      token: cluster.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: assetTemplate('acme', 'zip'),
      'plugin-directory': active.pluginDir,
      mounts: MOUNTS.join('\n'),
      nodes: cluster.nodes.map((n) => n.address).join('\n'),
      ...inputs,
    },
  });
}

async function runningOnEveryNode(): Promise<string[][]> {
  const rows: string[][] = [];
  for (const node of cluster.nodes) {
    for (const path of MOUNTS) {
      const mount = await liveMount(cluster.via(node), 'secret', path);
      rows.push([node.name, path, mount.runningSha256]);
    }
  }
  return rows;
}

function expected(version: string): string[][] {
  return cluster.nodes.flatMap((node) =>
    MOUNTS.map((path) => [node.name, path, sha[version] ?? '']),
  );
}

describe('every node runs the new binary, or the rollout fails', () => {
  if (SERVER === 'openbao') {
    it('reloads lagging standbys through their own address and proves each node', async () => {
      const standbys = cluster.nodes.filter((n) => n !== active);
      await deliverTo(standbys, 'v1.0.1');
      // A local reload reaches only the node that answered, as on Vault community edition.
      const run = await rollout('v1.0.1', { 'reload-scope': 'local' });

      expect(run.exitCode, run.log).toBe(0);
      expect(await runningOnEveryNode()).toEqual(expected('v1.0.1'));
      for (const node of standbys) {
        expect(run.log).toContain(`${node.address} does not run it yet; reloading there`);
      }
      const rows = resultRows(run);
      expect(rows.map((r) => r.nodes.map((n) => [n.node, n.running_sha256, n.ok]))).toEqual(
        MOUNTS.map(() => cluster.nodes.map((n) => [n.address, sha['v1.0.1'], true])),
      );
    });

    it('a node that cannot run the new binary fails the rollout, named, and every node rolls back', async () => {
      const [withBinary, without] = cluster.nodes.filter((n) => n !== active);
      if (!withBinary || !without) throw new Error('the cluster has no two standbys');
      await deliverTo([withBinary], 'v1.1.0');
      const run = await rollout('v1.1.0');

      expect(run.exitCode).toBe(1);
      expect(run.log).toMatch(
        new RegExp(
          `::error title=Rollout failed[^:]*::.*${without.address.replace(/[.]/g, '\\.')}.*cannot reload plugin.*rolled back`,
        ),
      );
      expect(run.outputs['rolled-back']).toBe('true');
      expect(await runningOnEveryNode()).toEqual(expected('v1.0.1'));
    });
  } else {
    it('reads every node through its own address, each standby answering with the active node', async () => {
      const standbys = cluster.nodes.filter((n) => n !== active);
      await deliverTo(standbys, 'v1.0.1');
      const run = await rollout('v1.0.1', { 'reload-scope': 'local' });

      expect(run.exitCode, run.log).toBe(0);
      expect(await runningOnEveryNode()).toEqual(expected('v1.0.1'));
      expect(run.log).not.toContain('does not run it yet');
      const rows = resultRows(run);
      expect(rows.map((r) => r.nodes.map((n) => [n.node, n.running_sha256, n.ok]))).toEqual(
        MOUNTS.map(() => cluster.nodes.map((n) => [n.address, sha['v1.0.1'], true])),
      );
    });
  }

  it('after a rollout the active node goes away, and the new active node runs the new version from its own plugin directory', async () => {
    const standbys = cluster.nodes.filter((n) => n !== active);
    await deliverTo(standbys, 'v1.1.0');
    const run = await rollout('v1.1.0');
    expect(run.exitCode, run.log).toBe(0);

    await cluster.everyNodeVotes();
    await active.stop();
    const next = await cluster.active();
    expect(standbys).toContain(next);
    for (const path of MOUNTS) {
      expect(await liveMount(cluster.via(next), 'secret', path), path).toMatchObject({
        version: 'v1.1.0',
        runningVersion: 'v1.1.0',
        runningSha256: sha['v1.1.0'],
      });
      const info = await cluster.api<{ data: { version: string; pid: number } }>(
        next,
        'GET',
        `${path}/info`,
      );
      expect(info?.data.version, path).toBe('v1.1.0');
      const pid = info?.data.pid ?? 0;
      expect(await parentPid(pid), `${path} is served by a process of the new active node`).toBe(
        next.pid,
      );
      expect(await executableOf(pid)).toBe(join(next.pluginDir, 'acme-v1.1.0'));
    }
  });
});
