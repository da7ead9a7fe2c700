// A single OpenBao or Vault server on raft storage that a test can kill and start again.
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerKind } from './paths.ts';
import { killProcessesUnder, stop } from './processes.ts';
import { rootApi, type ApiCall } from './server-http.ts';
import { freePort, healthReached, spawnServer } from './server-process.ts';

export interface RestartableServer {
  kind: ServerKind;
  address: string;
  token: string;
  pluginDir: string;
  api: ApiCall;
  /** SIGKILL: the server and its plugin processes die at once, as in a power cut or an OOM kill. */
  crash(): Promise<void>;
  /** Starts the killed server again on the same port and data, and unseals it unless told not to. */
  restart(options?: { unseal: boolean }): Promise<void>;
  /** Unseals a server restarted sealed, as an operator would. */
  unseal(): Promise<void>;
  stop(): Promise<void>;
}

const HEALTH_ACTIVE = 200;
const HEALTH_SEALED = 503;
const HEALTH_UNINITIALISED = 501;

/**
 * Unlike `startServer`'s dev servers, which keep everything in memory, this
 * one keeps its mounts and catalog in raft storage on disk, so they survive
 * a kill: initialised with one key share, unsealed, active.
 */
export async function startRestartableServer(kind: ServerKind): Promise<RestartableServer> {
  const dir = await mkdtemp(join(tmpdir(), `lab-${kind}-restartable-`));
  const pluginDir = join(dir, 'plugins');
  await mkdir(pluginDir);
  await mkdir(join(dir, 'data'));
  const [apiPort, clusterPort] = await Promise.all([freePort(), freePort()]);
  const address = `http://127.0.0.1:${String(apiPort)}`;
  const config = join(dir, 'config.hcl');
  await writeFile(
    config,
    `ui = false
disable_mlock = true
api_addr = "${address}"
cluster_addr = "https://127.0.0.1:${String(clusterPort)}"
plugin_directory = "${pluginDir}"
storage "raft" {
  path = "${join(dir, 'data')}"
  node_id = "node-1"
  performance_multiplier = 1
}
listener "tcp" {
  address = "127.0.0.1:${String(apiPort)}"
  cluster_address = "127.0.0.1:${String(clusterPort)}"
  tls_disable = true
}
`,
  );
  let child: ChildProcess | null = null;
  const launch = async (ready: number): Promise<void> => {
    const server = spawnServer(kind, ['server', `-config=${config}`], dir);
    child = server.child;
    if (!(await healthReached(address, server.child, (s) => s === ready))) {
      await stop(server.child);
      throw new Error(`${kind} did not start on ${address}: ${server.stderr()}`);
    }
  };
  let key = '';
  const unseal = async (): Promise<void> => {
    await rootApi(address, '')('PUT', 'sys/unseal', { key });
    if (!child || !(await healthReached(address, child, (s) => s === HEALTH_ACTIVE))) {
      throw new Error(`${kind} on ${address} did not become active after unsealing`);
    }
  };
  const stopAll = async (): Promise<void> => {
    if (child) await stop(child);
    await killProcessesUnder(dir);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await launch(HEALTH_UNINITIALISED);
    const init = await rootApi(address, '')<{ keys_base64: string[]; root_token: string }>(
      'PUT',
      'sys/init',
      { secret_shares: 1, secret_threshold: 1 },
    );
    key = init?.keys_base64[0] ?? '';
    if (!init || !key) throw new Error('sys/init returned no key');
    await unseal();
    const token = init.root_token;
    return {
      kind,
      address,
      token,
      pluginDir,
      api: rootApi(address, token),
      async crash() {
        const running = child;
        if (!running) return;
        const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
        running.kill('SIGKILL');
        await exited;
        child = null;
        await killProcessesUnder(pluginDir);
      },
      async restart(options = { unseal: true }) {
        await launch(HEALTH_SEALED);
        if (options.unseal) await unseal();
      },
      unseal,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
