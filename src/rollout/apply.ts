import { placePluginFile } from './plugin-directory.ts';
import { forEachLimited } from '../domain/concurrency.ts';
import { ConfigError } from '../domain/errors.ts';
import { isMissingCommand, registerPlugin } from '../vault/catalog.ts';
import type { VaultClient } from '../vault/client.ts';
import { mountRoute } from '../domain/plugin.ts';
import { deletePin, writePin } from '../vault/pins.ts';
import { moveTarget } from '../vault/targets.ts';
import {
  reloadConnections,
  reloadMounts,
  reloadPlugin,
  resetConnection,
  waitForGlobalReload,
  type Restart,
} from '../vault/reload.ts';
import type { Plan } from './plan.ts';
import { batchRestarts } from './restarts.ts';
import { settle, type Unsettled } from './settle.ts';

/**
 * What has been written so far. A write is recorded before it is sent, so a
 * call that fails or loses its answer still counts as touched and is rolled back.
 */
export interface ApplyRecord {
  placedFile: string;
  registered: boolean;
  tuned: string[];
  reloaded: string[];
  reloadIds: string[];
  /** The version the pin held before the run first wrote it; empty when the pin was not touched. */
  pinFrom: string;
  deregistered: string[];
  /** Nodes that lagged behind a global reload and were reloaded through their own address. */
  nodeReloads: string[];
  /**
   * Writes whose call failed (`place`, `register`, `pin`, `tune <path>`,
   * `reload <path>`, `deregister <version>`): `unknown` when the server may
   * have applied them (an answer was lost), `no` when it did not.
   */
  unsettled: Unsettled[];
}

export interface ApplyDeps {
  client: VaultClient;
  plan: Plan;
  reloadScope: 'global' | 'local';
  /** Vault Enterprise: follow each global reload until this many nodes reported; `null` elsewhere. */
  clusterNodes: number | null;
  timeoutSeconds: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  concurrency: number;
  log: (line: string) => void;
}

export function emptyRecord(): ApplyRecord {
  return {
    placedFile: '',
    registered: false,
    tuned: [],
    reloaded: [],
    reloadIds: [],
    pinFrom: '',
    deregistered: [],
    nodeReloads: [],
    unsettled: [],
  };
}

/** Every write the run sent or tried to, by its `unsettled` name, in the order of a rollout. */
export function writesTried(record: ApplyRecord): string[] {
  return [
    ...(record.placedFile ? ['place'] : []),
    ...(record.registered ? ['register'] : []),
    ...(record.pinFrom ? ['pin'] : []),
    ...record.tuned.map((path) => `tune ${path}`),
    ...record.reloaded.map((path) => `reload ${path}`),
    ...record.deregistered.map((version) => `deregister ${version}`),
  ];
}

/** Whether the server refused the write, so it certainly did not happen. */
export function refused(record: ApplyRecord, write: string): boolean {
  return record.unsettled.some((u) => u.write === write && u.applied === 'no');
}

/** Whether the run may have changed anything on the server: a write that was not refused. */
export function wroteAnything(record: ApplyRecord): boolean {
  return writesTried(record).some((write) => !refused(record, write));
}

/** Whether a tune or restart of this target may have happened. */
export function mayHaveMoved(record: ApplyRecord, path: string): boolean {
  return (
    (record.tuned.includes(path) && !refused(record, `tune ${path}`)) ||
    (record.reloaded.includes(path) && !refused(record, `reload ${path}`))
  );
}

/**
 * Whether a write changed what a mount starts, so a failure needs rolling
 * back. A new file or catalog entry alone changes nothing that runs.
 */
export function movedTargets(record: ApplyRecord): boolean {
  return (
    record.pinFrom !== '' ||
    [...record.tuned, ...record.reloaded].some((path) => mayHaveMoved(record, path))
  );
}

/** Puts the binary in place and the version in the catalog: nothing runs it yet. */
export async function prepareCatalog(
  deps: ApplyDeps & { binaryPath: string; pluginDirectory: string },
  record: ApplyRecord,
): Promise<void> {
  const { client, plan, log } = deps;
  if (plan.pluginFile === 'copy') {
    record.placedFile = await settle(record, ['place'], () =>
      placePluginFile(deps.binaryPath, deps.pluginDirectory, plan.command),
    );
    log(`placed ${record.placedFile}`);
  }
  if (plan.catalog === 'register') {
    record.registered = true;
    try {
      await settle(record, ['register'], () =>
        registerPlugin(client, {
          type: plan.pluginType,
          name: plan.pluginName,
          version: plan.version,
          sha256: plan.sha256,
          command: plan.command,
        }),
      );
    } catch (error) {
      if (!isMissingCommand(error)) throw error;
      const fix = record.placedFile
        ? `it was placed in ${deps.pluginDirectory}, which is not the server's plugin directory; give that one`
        : 'give plugin-directory, or place the binary there first';
      throw new ConfigError(
        `plugin-directory: the server has no file ${plan.command} in its plugin directory; ${fix}`,
      );
    }
    log(
      `registered ${plan.pluginType} plugin ${plan.pluginName} ${plan.version} (command ${plan.command})`,
    );
  } else {
    log(
      `${plan.pluginName} ${plan.version} is already in the catalog with this sha256; not registering again`,
    );
  }
}

/**
 * Moves one batch: tunes the mounts whose configured version differs, then
 * restarts the batch once. With a pin, the pin is lifted for the tunes only
 * and set to the target before the restart, so every mount the restart
 * reaches starts the target whichever setting it reads.
 */
export async function moveBatch(
  deps: ApplyDeps,
  batch: readonly string[],
  record: ApplyRecord,
): Promise<void> {
  const { client, plan, log } = deps;
  const tunes = plan.targets.filter((m) => batch.includes(m.path) && m.action === 'tune');
  const tuneAll = (): Promise<void> =>
    forEachLimited(tunes, deps.concurrency, async (step) => {
      record.tuned.push(step.path);
      await settle(record, [`tune ${step.path}`], () =>
        moveTarget(client, plan.pluginType, plan.pluginName, step.path, step.to),
      );
      log(`tuned ${step.path}: ${step.from || '(unversioned)'} → ${step.to}`);
    });
  if (plan.pin) await underPin(deps, record, tunes.length > 0 ? tuneAll : null);
  else await tuneAll();
  await restartTargets(deps, batchRestarts(plan, batch), record);
}

/**
 * Writes the plan's pin. The server refuses a version tune while a pin is in
 * effect, so `tune` runs with the pin lifted; the window holds tunes only, no
 * restart. If a tune fails the pin is set back to what it held before this
 * batch, so a stopped run leaves every mount starting what it started before.
 */
export async function underPin(
  deps: ApplyDeps,
  record: ApplyRecord,
  tune: (() => Promise<void>) | null,
): Promise<void> {
  const pin = deps.plan.pin;
  if (!pin) return;
  const before = record.pinFrom ? pin.to : pin.from;
  if (!tune && before === pin.to) return;
  record.pinFrom = pin.from;
  const pinAt = (version: string): Promise<void> =>
    settle(record, ['pin'], () => setPin(deps, version));
  if (!tune) {
    await pinAt(pin.to);
    return;
  }
  if (before) await pinAt('');
  let leave = before;
  try {
    await tune();
    leave = pin.to;
  } finally {
    if (leave) await pinAt(leave);
  }
}

/** `''` removes the pin. */
export async function setPin(deps: ApplyDeps, version: string): Promise<void> {
  const { client, plan, log } = deps;
  if (version) {
    await writePin(client, plan.pluginType, plan.pluginName, version);
    log(`pinned ${plan.pluginType} plugin ${plan.pluginName} at ${version}`);
  } else {
    await deletePin(client, plan.pluginType, plan.pluginName);
    log(`lifted the pin of ${plan.pluginType} plugin ${plan.pluginName}`);
  }
}

/** Sends the restarts, following each global reload on Vault Enterprise until every node reported. */
export async function restartTargets(
  deps: ApplyDeps,
  restarts: readonly Restart[],
  record: ApplyRecord,
): Promise<void> {
  for (const restart of restarts) {
    const paths = restart.kind === 'connection' ? [restart.path] : restart.paths;
    for (const path of paths) if (!record.reloaded.includes(path)) record.reloaded.push(path);
    const reloadIds = await settle(
      record,
      paths.map((path) => `reload ${path}`),
      () => restartOnce(deps, restart),
    );
    record.reloadIds.push(...reloadIds);
    const clusterNodes = deps.clusterNodes;
    if (clusterNodes === null) continue;
    for (const reloadId of reloadIds) {
      const reports = await waitForGlobalReload({ ...deps, reloadId, nodes: clusterNodes });
      deps.log(`reload ${reloadId} finished on ${reports.map((r) => r.node).join(', ')}`);
    }
  }
}

async function restartOnce(deps: ApplyDeps, restart: Restart): Promise<string[]> {
  const { client, plan, log, reloadScope: scope } = deps;
  const ids = (reloadIds: string[]): string =>
    reloadIds.length > 0 ? `, reload id ${reloadIds.join(', ')}` : '';
  switch (restart.kind) {
    case 'mounts': {
      const names = restart.paths.map((path) => mountRoute(plan.pluginType, path));
      const { reloadIds } = await reloadMounts(client, names, scope);
      log(`reloaded ${names.join(', ')} (scope ${scope}${ids(reloadIds)})`);
      return reloadIds;
    }
    case 'plugin': {
      const { reloadIds } = await reloadPlugin(client, plan.pluginType, plan.pluginName, scope);
      log(
        `reloaded every mount of ${plan.pluginType} plugin ${plan.pluginName}: ${restart.paths.join(', ')} (scope ${scope}${ids(reloadIds)})`,
      );
      return reloadIds;
    }
    case 'connection':
      await resetConnection(client, restart.path);
      log(`restarted connection ${restart.path}`);
      return [];
    case 'connections':
      await reloadConnections(client, restart.mount, plan.pluginName, restart.paths);
      log(
        `restarted every connection of ${plan.pluginName} under ${restart.mount}: ${restart.paths.join(', ')}`,
      );
      return [];
  }
}
