import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startCluster,
  type LabCluster,
  type ClusterNode,
  type ClusterOptions,
} from '../../lab/cluster.ts';
import { parentPid } from '../../lab/processes.ts';
import { enableMount, installPlugin, liveMount, type Installed } from '../../lab/seed.ts';
import { serverUnderTest } from '../../lab/server.ts';

const SERVER = serverUnderTest();

// What a 3-node cluster with integrated storage does with plugin mounts, tunes
// and reloads, node by node. OpenBao's standbys answer reads and run plugins
// themselves unless disable_standby_reads is set; Vault community edition's
// standbys always forward every request to the active node, as OpenBao's do
// with that setting. Within a cluster each test starts from the state the
// previous one left: `acme` and `other` mounted, every node that runs plugins
// running the same version.

const POLL_MS = 25;
/** Replication and reload propagation take well under a second here; the margin absorbs a busy machine. */
const SPREAD_MS = 5000;
/** How long a node is watched to show that something does NOT happen by itself. */
const QUIET_MS = 1500;

/** A reload with scope=global: OpenBao answers 200; Vault 202, with the reload_id to follow on Enterprise. */
const GLOBAL_RELOAD_STATUS = { openbao: 200, vault: 202 }[SERVER];

let cluster: LabCluster;
let active: ClusterNode;
let standbys: ClusterNode[];
const plugin: Record<string, Installed> = {};

function withCluster(options: ClusterOptions): void {
  beforeAll(async () => {
    cluster = await startCluster(SERVER, options);
    active = await cluster.active();
    standbys = cluster.nodes.filter((node) => node !== active);
    const seed = cluster.via(active);
    for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
      plugin[version] = await installPlugin(seed, 'secret', 'acme', 'secrets', version);
    }
    await enableMount(seed, 'secret', 'acme', 'acme', 'v1.0.0');
    await enableMount(seed, 'secret', 'other', 'acme', 'v1.0.0');
    await everyNode(async (node) => {
      const mounts = await Promise.all([mountOn(node, 'acme'), mountOn(node, 'other')]);
      return mounts.every((mount) => mount.runningSha256 === sha('v1.0.0'));
    });
  });

  afterAll(async () => {
    await cluster.stop();
  });
}

function sha(version: string): string {
  const installed = plugin[version];
  if (!installed) throw new Error(`${version} was not installed`);
  return installed.sha256;
}

function mountOn(node: ClusterNode, path: string): ReturnType<typeof liveMount> {
  return liveMount(cluster.via(node), 'secret', path);
}

/** The pid of the plugin process that answered a read of `<mount>/info` on this node. */
async function pluginPid(node: ClusterNode, mount: string): Promise<number> {
  const info = await cluster.api<{ data: { pid: number } }>(node, 'GET', `${mount}/info`);
  if (!info) throw new Error(`${mount}/info is not served on ${node.name}`);
  return info.data.pid;
}

async function auditLength(node: ClusterNode): Promise<number> {
  return (await node.auditRequests()).length;
}

async function pluginPids(mount: string): Promise<number[]> {
  return Promise.all(cluster.nodes.map((node) => pluginPid(node, mount)));
}

/** The processes a server started: its plugin processes. */
async function childPids(pid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end between the listing and the read.
    const parent = await parentPid(Number(entry)).catch(() => 0);
    if (parent === pid) children.push(Number(entry));
  }
  return children;
}

/** Polls until the check holds on every node; returns the milliseconds each node took. */
async function everyNode(
  check: (node: ClusterNode) => Promise<boolean>,
  nodes: ClusterNode[] = cluster.nodes,
): Promise<number[]> {
  const start = Date.now();
  const took = new Map<ClusterNode, number>();
  let lastError = '';
  while (took.size < nodes.length && Date.now() - start < SPREAD_MS) {
    for (const node of nodes) {
      if (took.has(node)) continue;
      // A standby answers 400 for a mount it has not replicated yet.
      const held = await check(node).catch((error: unknown) => {
        lastError = String(error);
        return false;
      });
      if (held) took.set(node, Date.now() - start);
    }
    await sleep(POLL_MS);
  }
  const late = nodes.filter((node) => !took.has(node)).map((node) => node.name);
  if (late.length > 0) {
    throw new Error(`not within ${String(SPREAD_MS)} ms on ${late.join(', ')} ${lastError}`);
  }
  return nodes.map((node) => took.get(node) ?? 0);
}

async function tune(version: string): Promise<void> {
  await cluster.api(active, 'POST', 'sys/mounts/acme/tune', { plugin_version: version });
  await everyNode(async (node) => (await mountOn(node, 'acme')).version === version);
}

async function reload(node: ClusterNode, body: Record<string, unknown>): Promise<number> {
  const response = await cluster.raw(node, 'PUT', 'sys/plugins/reload/backend', body);
  return response.status;
}

const runs = (version: string) => async (node: ClusterNode) =>
  (await mountOn(node, 'acme')).runningSha256 === sha(version);

/** Shared by every configuration: how a client tells the active node from a standby. */
function tellingActiveFromStandbys(): void {
  describe('telling the active node from the standbys', () => {
    it('sys/health answers 200 on the active node and 429 standby:true on each standby', async () => {
      for (const node of cluster.nodes) {
        const response = await fetch(`${node.address}/v1/sys/health`);
        const body = (await response.json()) as { standby: boolean; sealed: boolean };
        expect([node.name, response.status, body.standby, body.sealed]).toEqual(
          node === active ? [node.name, 200, false, false] : [node.name, 429, true, false],
        );
        const standbyOk = await fetch(`${node.address}/v1/sys/health?standbyok=true`);
        await standbyOk.body?.cancel();
        expect(standbyOk.status).toBe(200);
      }
    });

    it('sys/leader names the active node on every node and is_self only on it', async () => {
      for (const node of cluster.nodes) {
        const leader = await cluster.api<{ is_self: boolean; leader_address: string }>(
          node,
          'GET',
          'sys/leader',
        );
        expect(leader).toMatchObject({
          is_self: node === active,
          leader_address: active.address,
        });
      }
    });
  });
}

if (SERVER === 'openbao') {
  describe('with standby reads (the default)', () => {
    withCluster({ nodes: 3 });

    tellingActiveFromStandbys();

    describe('standbys', () => {
      it('answer mount reads themselves: no redirect, no forward to the active node', async () => {
        for (const node of standbys) {
          const [activeMark, ownMark] = await Promise.all([auditLength(active), auditLength(node)]);
          const response = await cluster.raw(node, 'GET', 'sys/mounts/acme');
          expect(response.status).toBe(200);
          expect(response.headers.get('location')).toBeNull();
          const table = await cluster.api<{ data: Record<string, { running_sha256: string }> }>(
            node,
            'GET',
            'sys/mounts',
          );
          expect(table?.data['acme/']?.running_sha256).toBe(sha('v1.0.0'));
          expect((await node.auditRequests()).slice(ownMark).map((e) => e.path)).toEqual([
            'sys/mounts/acme',
            'sys/mounts',
          ]);
          expect(await auditLength(active)).toBe(activeMark);
          const unforwarded = await cluster.raw(node, 'GET', 'sys/mounts/acme', undefined, {
            'X-Vault-No-Request-Forwarding': 'true',
          });
          expect(unforwarded.status).toBe(200);
        }
      });

      it('run their own plugin process for each mount, a child of their own server', async () => {
        const pids = await pluginPids('acme');
        expect(new Set(pids).size).toBe(cluster.nodes.length);
        for (const [i, node] of cluster.nodes.entries()) {
          const children = await childPids(node.pid);
          expect(children).toHaveLength(2);
          expect(children).toContain(pids[i]);
        }
      });
    });

    describe('tune and reload across the cluster', () => {
      it('a tune on the active node reaches every standby, which keeps running the old binary', async () => {
        const before = await pluginPids('acme');
        await tune('v1.0.1');
        await sleep(QUIET_MS);
        for (const node of cluster.nodes) {
          expect(await mountOn(node, 'acme')).toMatchObject({
            version: 'v1.0.1',
            runningVersion: 'v1.0.0',
            runningSha256: sha('v1.0.0'),
          });
        }
        expect(await pluginPids('acme')).toEqual(before);
      });

      it('a reload without scope on the active node restarts only the active node', async () => {
        const before = await pluginPids('acme');
        expect(await reload(active, { mounts: ['acme'] })).toBe(200);
        await everyNode(runs('v1.0.1'), [active]);
        await sleep(QUIET_MS);
        for (const node of standbys) {
          expect(await mountOn(node, 'acme')).toMatchObject({
            runningVersion: 'v1.0.0',
            runningSha256: sha('v1.0.0'),
          });
        }
        const after = await pluginPids('acme');
        for (const [i, node] of cluster.nodes.entries()) {
          expect([node.name, after[i] === before[i]]).toEqual([node.name, node !== active]);
        }
      });

      it('a reload with scope=global on the active node restarts the mount on every node, and only that mount', async () => {
        const others = await pluginPids('other');
        expect(await reload(active, { mounts: ['acme'], scope: 'global' })).toBe(200);
        await everyNode(runs('v1.0.1'));
        for (const node of cluster.nodes) {
          expect((await mountOn(node, 'acme')).runningVersion).toBe('v1.0.1');
        }
        expect(await pluginPids('other')).toEqual(others);
      });

      it('a reload without scope sent to a standby restarts that standby only, with no redirect', async () => {
        await tune('v1.1.0');
        const [target, untouched] = standbys as [ClusterNode, ClusterNode];
        const before = await pluginPids('acme');
        expect(await reload(target, { mounts: ['acme'] })).toBe(200);
        await everyNode(runs('v1.1.0'), [target]);
        await sleep(QUIET_MS);
        for (const node of [active, untouched]) {
          expect((await mountOn(node, 'acme')).runningSha256).toBe(sha('v1.0.1'));
        }
        const after = await pluginPids('acme');
        for (const [i, node] of cluster.nodes.entries()) {
          expect([node.name, after[i] === before[i]]).toEqual([node.name, node !== target]);
        }
      });

      it('a reload with scope=global sent to a standby restarts the mount on every node', async () => {
        expect(await reload(standbys[1] ?? active, { mounts: ['acme'], scope: 'global' })).toBe(
          200,
        );
        await everyNode(runs('v1.1.0'));
      });
    });

    describe('auth mounts', () => {
      it('a reload of auth/<path> with scope=global on the active node restarts it on every node', async () => {
        const seed = cluster.via(active);
        await installPlugin(seed, 'auth', 'acme-auth', 'auth', 'v1.0.0');
        const next = await installPlugin(seed, 'auth', 'acme-auth', 'auth', 'v1.0.1');
        await enableMount(seed, 'auth', 'login', 'acme-auth', 'v1.0.0');
        // A tune while a standby is still setting up the new mount can leave that standby without it for many seconds.
        await everyNode(
          async (node) =>
            (await liveMount(cluster.via(node), 'auth', 'login')).runningVersion === 'v1.0.0',
        );
        await cluster.api(active, 'POST', 'sys/auth/login/tune', { plugin_version: 'v1.0.1' });
        await everyNode(async (node) => {
          const login = await liveMount(cluster.via(node), 'auth', 'login');
          return login.version === 'v1.0.1' && login.runningVersion === 'v1.0.0';
        });
        expect(await reload(active, { mounts: ['auth/login'], scope: 'global' })).toBe(200);
        await everyNode(
          async (node) =>
            (await liveMount(cluster.via(node), 'auth', 'login')).runningSha256 === next.sha256,
        );
      });
    });

    describe('a standby without the binary', () => {
      it('reports an empty running_sha256 after a global reload the active node answered with 200', async () => {
        const [missing] = standbys as [ClusterNode];
        const command = 'acme-v1.0.1';
        await rm(join(missing.pluginDir, command));
        await tune('v1.0.1');
        expect(await reload(active, { mounts: ['acme'], scope: 'global' })).toBe(200);
        await everyNode(
          runs('v1.0.1'),
          cluster.nodes.filter((node) => node !== missing),
        );
        await everyNode(
          async (node) => (await mountOn(node, 'acme')).runningSha256 === '',
          [missing],
        );
        expect(await mountOn(missing, 'acme')).toMatchObject({
          version: 'v1.0.1',
          runningVersion: '',
        });
        const read = await cluster.raw(missing, 'GET', 'acme/info');
        expect(read.status).toBe(404);

        const direct = await cluster.raw(missing, 'PUT', 'sys/plugins/reload/backend', {
          mounts: ['acme'],
        });
        expect(direct.status).toBe(400);
        expect(direct.text).toContain(`cannot reload plugin on \\"acme/\\"`);
        expect(direct.text).toContain(join(missing.pluginDir, command));

        await copyFile(join(active.pluginDir, command), join(missing.pluginDir, command));
        expect(await reload(missing, { mounts: ['acme'] })).toBe(200);
        await everyNode(runs('v1.0.1'));
      });
    });
  });
}

describe(
  SERVER === 'openbao'
    ? 'with disable_standby_reads = true'
    : 'Vault community edition, whose standbys forward every request',
  () => {
    withCluster(SERVER === 'openbao' ? { nodes: 3, standbyReads: false } : { nodes: 3 });
    tellingActiveFromStandbys();

    it('standbys run no plugin process; a read through a standby is answered by the active node', async () => {
      expect(await childPids(active.pid)).toHaveLength(2);
      for (const node of standbys) expect(await childPids(node.pid)).toEqual([]);
      const activePid = await pluginPid(active, 'acme');
      for (const node of standbys) {
        const [activeMark, ownMark] = await Promise.all([auditLength(active), auditLength(node)]);
        expect(await pluginPid(node, 'acme')).toBe(activePid);
        expect(await auditLength(node)).toBe(ownMark);
        expect(await auditLength(active)).toBe(activeMark + 1);
      }
    });

    it('with X-Vault-No-Request-Forwarding a standby answers 307 to the active node', async () => {
      for (const node of standbys) {
        const response = await cluster.raw(node, 'GET', 'sys/mounts/acme', undefined, {
          'X-Vault-No-Request-Forwarding': 'true',
        });
        expect(response.status).toBe(307);
        expect(response.headers.get('location')).toBe(`${active.address}/v1/sys/mounts/acme`);
      }
    });

    it('a reload sent to a standby, with or without scope, reloads the active node', async () => {
      await tune('v1.0.1');
      expect(await reload(standbys[0] ?? active, { mounts: ['acme'] })).toBe(200);
      await everyNode(runs('v1.0.1'));
      const before = await pluginPid(active, 'acme');
      await tune('v1.1.0');
      expect(await reload(standbys[1] ?? active, { mounts: ['acme'], scope: 'global' })).toBe(
        GLOBAL_RELOAD_STATUS,
      );
      await everyNode(runs('v1.1.0'));
      expect(await pluginPid(active, 'acme')).not.toBe(before);
      for (const node of standbys) expect(await childPids(node.pid)).toEqual([]);
    });

    // Last: the cluster keeps two nodes after it.
    it('a standby that becomes active without the binary serves nothing under the mount', async () => {
      for (const node of standbys) await rm(join(node.pluginDir, plugin['v1.1.0']?.command ?? ''));
      await cluster.everyNodeVotes();
      await active.stop();
      const next = await cluster.active();

      const read = await cluster.raw(next, 'GET', 'acme/info');
      expect(read.status).toBe(404);
      expect(read.text).toContain('route entry found, but backend is nil');
      expect(await childPids(next.pid)).toHaveLength(1);
      // Vault reports the catalog entry's hash for the mount it could not start: no proof of anything.
      expect(await mountOn(next, 'acme')).toMatchObject(
        SERVER === 'vault'
          ? { runningVersion: 'v1.1.0', runningSha256: sha('v1.1.0') }
          : { runningVersion: '', runningSha256: '' },
      );
    });
  },
);
