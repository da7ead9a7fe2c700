import { placePluginFile } from '../artifact/place.ts';
import { forEachLimited } from '../concurrency.ts';
import { registerPlugin } from '../vault/catalog.ts';
import type { VaultClient } from '../vault/client.ts';
import { reloadName } from '../vault/mounts.ts';
import { writePin } from '../vault/pins.ts';
import { moveTarget, needsReload } from '../vault/targets.ts';
import { reloadMounts, waitForGlobalReload } from '../vault/reload.ts';
import type { Plan } from './plan.ts';

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
  /** The version a moved pin held before; empty when no pin was moved. */
  pinFrom: string;
  deregistered: string[];
  /** Nodes that lagged behind a global reload and were reloaded through their own address. */
  nodeReloads: string[];
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
  };
}

export function wroteAnything(record: ApplyRecord): boolean {
  return (
    record.placedFile !== '' ||
    record.registered ||
    record.pinFrom !== '' ||
    record.deregistered.length > 0 ||
    record.tuned.length > 0 ||
    record.reloaded.length > 0
  );
}

/** Puts the binary in place and the version in the catalog: nothing runs it yet. */
export async function prepareCatalog(
  deps: ApplyDeps & { binaryPath: string; pluginDirectory: string },
  record: ApplyRecord,
): Promise<void> {
  const { client, plan, log } = deps;
  if (plan.pluginFile === 'copy') {
    record.placedFile = await placePluginFile(deps.binaryPath, deps.pluginDirectory, plan.command);
    log(`placed ${record.placedFile}`);
  }
  if (plan.catalog === 'register') {
    record.registered = true;
    await registerPlugin(client, {
      type: plan.pluginType,
      name: plan.pluginName,
      version: plan.version,
      sha256: plan.sha256,
      command: plan.command,
    });
    log(
      `registered ${plan.pluginType} plugin ${plan.pluginName} ${plan.version} (command ${plan.command})`,
    );
  } else {
    log(
      `${plan.pluginName} ${plan.version} is already in the catalog with this sha256; not registering again`,
    );
  }
  if (plan.pin) {
    record.pinFrom = plan.pin.from;
    await writePin(client, plan.pluginType, plan.pluginName, plan.pin.to);
    log(`moved the pin of ${plan.pluginName} from ${plan.pin.from} to ${plan.pin.to}`);
  }
}

/** Moves one batch: tunes the mounts whose configured version differs, then reloads the whole batch once. */
export async function moveBatch(
  deps: ApplyDeps,
  batch: readonly string[],
  record: ApplyRecord,
): Promise<void> {
  const { client, plan, log } = deps;
  const tunes = plan.mounts.filter((m) => batch.includes(m.path) && m.action === 'tune');
  await forEachLimited(tunes, deps.concurrency, async (step) => {
    record.tuned.push(step.path);
    await moveTarget(client, plan.pluginType, plan.pluginName, step.path, step.to);
    log(`tuned ${step.path}: ${step.from || '(unversioned)'} → ${step.to}`);
  });
  if (needsReload(plan.pluginType)) await reload(deps, batch, record);
}

export async function reload(
  deps: ApplyDeps,
  paths: readonly string[],
  record: ApplyRecord,
): Promise<void> {
  const names = paths.map((path) => reloadName(deps.plan.pluginType, path));
  for (const path of paths) if (!record.reloaded.includes(path)) record.reloaded.push(path);
  const { reloadIds } = await reloadMounts(deps.client, names, deps.reloadScope);
  record.reloadIds.push(...reloadIds);
  deps.log(
    `reloaded ${names.join(', ')} (scope ${deps.reloadScope}${reloadIds.length > 0 ? `, reload id ${reloadIds.join(', ')}` : ''})`,
  );
  const clusterNodes = deps.clusterNodes;
  if (clusterNodes === null) return;
  for (const reloadId of reloadIds) {
    const reports = await waitForGlobalReload({ ...deps, reloadId, nodes: clusterNodes });
    deps.log(`reload ${reloadId} finished on ${reports.map((r) => r.node).join(', ')}`);
  }
}
