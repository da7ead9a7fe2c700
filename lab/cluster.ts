// A real OpenBao or Vault cluster on loopback: raft storage, one active node, standbys.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditRequests, auditStanza, enableFileAudit, type AuditRequest } from './audit-log.ts';
import type { ServerKind } from './paths.ts';
import { killProcessesUnder, stop } from './processes.ts';
import { rawCall, rootApi, type ApiCall, type RawResponse } from './server-http.ts';
import { freePort, healthReached, spawnServer, type ServerProcess } from './server-process.ts';

export interface ClusterNode {
  name: string;
  address: string;
  pluginDir: string;
  /** The server's process id, to find the plugin processes it started. */
  pid: number;
  /** Every request this node's file audit device logged. */
  auditRequests(): Promise<AuditRequest[]>;
  stop(): Promise<void>;
  /** Whether the node itself says it is the active node (`sys/leader` is_self). */
  isActive(): Promise<boolean>;
}

export interface LabCluster {
  kind: ServerKind;
  nodes: ClusterNode[];
  token: string;
  /** Calls one node's HTTP API as root, redirects not followed; throws on status >= 300 except a 404 on GET (null). */
  api<T = Record<string, unknown>>(
    node: ClusterNode,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<T | null>;
  /** One call to one node as root, with its status and headers, whatever they are. */
  raw(
    node: ClusterNode,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<RawResponse>;
  /** One node's API with every node's plugin directory, for seeding through that node. */
  via(node: ClusterNode): { kind: ServerKind; api: ApiCall; pluginDirs: string[] };
  /** The node that currently reports itself active. */
  active(): Promise<ClusterNode>;
  /**
   * Waits until every node is a raft voter, so that losing the active node
   * leaves a quorum to elect another; a node that just joined does not vote.
   */
  everyNodeVotes(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  nodes: number;
  /**
   * OpenBao only: `false` sets `disable_standby_reads`, so standbys hand every
   * request to the active node, as Vault community edition's always do.
   */
  standbyReads?: boolean;
}

const START_TRIES = 3;
const HEALTH_ACTIVE = 200;
const HEALTH_STANDBY = 429;
const HEALTH_UNINITIALISED = 501;
const ROLE_TRIES = 100;
const STABILIZATION = '1s';
const VOTER_TRIES = 100;
/**
 * The audit device is stored in the replicated mount table, so every node opens
 * the path the first node configured; a relative path resolves against each
 * node's own working directory and keeps one log per node. OpenBao reads it
 * from each node's configuration, Vault from the API call made once the
 * cluster is up.
 */
const AUDIT_FILE = 'audit.log';

interface Started {
  name: string;
  dir: string;
  address: string;
  pluginDir: string;
  auditLog: string;
  process: ServerProcess;
}

/**
 * A real OpenBao or Vault cluster on loopback: integrated storage (raft), one
 * data directory, plugin directory and audit log per node, initialised with a
 * single key share, every node unsealed, the first one active and the others
 * joined as standbys.
 */
export async function startCluster(kind: ServerKind, options: ClusterOptions): Promise<LabCluster> {
  if (kind === 'vault' && options.standbyReads !== undefined) {
    throw new Error('standbyReads is an OpenBao setting; Vault standbys always forward requests');
  }
  const root = await mkdtemp(join(tmpdir(), `lab-${kind}-cluster-`));
  const started: Started[] = [];
  const stopAll = async (): Promise<void> => {
    // Standbys first: with the active node gone first, they would elect a new one while going down.
    const [first, ...rest] = started;
    await Promise.all(rest.map((node) => stop(node.process.child)));
    if (first) await stop(first.process.child);
    await killProcessesUnder(root);
    await rm(root, { recursive: true, force: true });
  };
  try {
    const names = Array.from({ length: options.nodes }, (_, i) => `node-${String(i + 1)}`);
    started.push(
      ...(await Promise.all(
        names.map((name) => startNode(kind, root, name, options.standbyReads ?? true)),
      )),
    );
    const [leader, ...followers] = started;
    if (!leader) throw new Error('a cluster needs at least one node');
    const init = await rootApi(leader.address, '')<{ keys_base64: string[]; root_token: string }>(
      'PUT',
      'sys/init',
      { secret_shares: 1, secret_threshold: 1 },
    );
    const key = init?.keys_base64[0];
    if (!init || !key) throw new Error('sys/init returned no key');
    await unseal(leader, key, HEALTH_ACTIVE);
    // Joined nodes vote only once autopilot finds them stable; 10 s by default.
    await rootApi(leader.address, init.root_token)(
      'POST',
      'sys/storage/raft/autopilot/configuration',
      { server_stabilization_time: STABILIZATION },
    );
    await Promise.all(
      followers.map(async (follower) => {
        await rootApi(follower.address, '')('PUT', 'sys/storage/raft/join', {
          leader_api_addr: leader.address,
        });
        await unseal(follower, key, HEALTH_STANDBY);
      }),
    );
    if (kind === 'vault')
      await enableFileAudit(rootApi(leader.address, init.root_token), AUDIT_FILE);
    return clusterOf(kind, started, init.root_token, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function startNode(
  kind: ServerKind,
  root: string,
  name: string,
  standbyReads: boolean,
): Promise<Started> {
  const dir = join(root, name);
  const pluginDir = join(dir, 'plugins');
  const auditLog = join(dir, AUDIT_FILE);
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(pluginDir);
  for (let attempt = 1; ; attempt++) {
    const [apiPort, clusterPort] = await Promise.all([freePort(), freePort()]);
    const address = `http://127.0.0.1:${String(apiPort)}`;
    const config = join(dir, 'config.hcl');
    await writeFile(
      config,
      nodeConfig({ kind, dir, name, apiPort, clusterPort, pluginDir, standbyReads }),
    );
    const server = spawnServer(kind, ['server', `-config=${config}`], dir);
    if (await healthReached(address, server.child, (s) => s === HEALTH_UNINITIALISED)) {
      return { name, dir, address, pluginDir, auditLog, process: server };
    }
    await stop(server.child);
    if (attempt >= START_TRIES) {
      throw new Error(`${name} did not start on ${address}: ${server.stderr()}`);
    }
  }
}

interface NodeConfig {
  kind: ServerKind;
  dir: string;
  name: string;
  apiPort: number;
  clusterPort: number;
  pluginDir: string;
  standbyReads: boolean;
}

function nodeConfig(c: NodeConfig): string {
  const openbao = c.kind === 'openbao';
  return `ui = false
disable_mlock = true
${openbao ? `disable_standby_reads = ${String(!c.standbyReads)}\n` : ''}api_addr = "http://127.0.0.1:${String(c.apiPort)}"
cluster_addr = "https://127.0.0.1:${String(c.clusterPort)}"
plugin_directory = "${c.pluginDir}"
storage "raft" {
  path = "${join(c.dir, 'data')}"
  node_id = "${c.name}"
  performance_multiplier = 1
  autopilot_reconcile_interval = "1s"
  autopilot_update_interval = "500ms"
}
listener "tcp" {
  address = "127.0.0.1:${String(c.apiPort)}"
  cluster_address = "127.0.0.1:${String(c.clusterPort)}"
  tls_disable = true
}
${openbao ? auditStanza(AUDIT_FILE) : ''}`;
}

async function unseal(node: Started, key: string, role: number): Promise<void> {
  await rootApi(node.address, '')('PUT', 'sys/unseal', { key });
  const reached = await healthReached(
    node.address,
    node.process.child,
    (status) => status === role,
  );
  if (!reached) {
    throw new Error(
      `${node.name} did not become ${role === HEALTH_ACTIVE ? 'active' : 'a standby'}: ${node.process.stderr()}`,
    );
  }
}

function clusterOf(
  kind: ServerKind,
  started: Started[],
  token: string,
  stopAll: () => Promise<void>,
): LabCluster {
  const nodes: ClusterNode[] = started.map((node) => ({
    name: node.name,
    address: node.address,
    pluginDir: node.pluginDir,
    pid: node.process.child.pid ?? 0,
    auditRequests: () => auditRequests(node.auditLog),
    stop: () => stop(node.process.child),
    isActive: async () => {
      const leader = await rootApi(node.address, token)<{ is_self: boolean }>('GET', 'sys/leader');
      return leader?.is_self === true;
    },
  }));
  return {
    kind,
    nodes,
    token,
    api: (node, method, path, body) => rootApi(node.address, token)(method, path, body),
    raw: (node, method, path, body, headers) =>
      rawCall(node.address, token, method, path, body, headers),
    via: (node) => ({
      kind,
      api: rootApi(node.address, token),
      pluginDirs: nodes.map((n) => n.pluginDir),
    }),
    active: async () => {
      for (let i = 0; i < ROLE_TRIES; i++) {
        for (const node of nodes) {
          // A stopped node does not answer; the others may.
          if (await node.isActive().catch(() => false)) return node;
        }
        await sleep(100);
      }
      throw new Error('no node of the cluster reports itself active');
    },
    async everyNodeVotes() {
      const leader = await this.active();
      for (let i = 0; i < VOTER_TRIES; i++) {
        const raft = await rootApi(leader.address, token)<{
          data: { config: { servers: { voter: boolean }[] } };
        }>('GET', 'sys/storage/raft/configuration');
        const servers = raft?.data.config.servers ?? [];
        if (servers.length === nodes.length && servers.every((s) => s.voter)) return;
        await sleep(100);
      }
      throw new Error('not every node of the cluster became a raft voter');
    },
    stop: stopAll,
  };
}
