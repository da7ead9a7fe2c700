import { PreflightError } from '../domain/errors.ts';
import type { PluginFileState } from './plugin-directory.ts';
import { isBuiltinVersion, type CatalogEntry, type CatalogVersion } from '../vault/catalog.ts';
import type { ServerFeatures } from '../vault/identity.ts';
import { servedInProcess } from './in-process.ts';
import { describeTarget, listInput, type PluginType } from '../domain/plugin.ts';
import { pinMove, type PinInput, type PinMove } from './pin-move.ts';
import { prunableVersions } from './prune.ts';
import type { TargetState } from '../vault/mounts.ts';

export interface PlanInput extends PinInput {
  sha256: string;
  command: string;
  targets: readonly string[] | 'all';
  exclude: readonly string[];
  canary: readonly string[];
  batchSize: number;
  catalogEntry: CatalogEntry | null;
  mountTable: ReadonlyMap<string, TargetState>;
  /** `null` when the action does not manage the plugin directory. */
  pluginFile: PluginFileState | null;
  server: ServerFeatures;
  /** Every version of the plugin in the catalog, for pruning. */
  catalogVersions: readonly CatalogVersion[];
  /** Newest external versions to keep after success; `null` prunes nothing. */
  keepVersions: number | null;
  /** Every mount or connection in the namespace, to see which versions stay in use. */
  allTargets: ReadonlyMap<string, TargetState>;
}

/** `tune` moves the configured version; `reload` restarts a mount already configured but not running it. */
export type TargetAction = 'tune' | 'reload' | 'none';

export interface TargetStep {
  path: string;
  from: string;
  to: string;
  runningVersion: string;
  runningSha256: string;
  action: TargetAction;
}

export interface Plan {
  pluginType: PluginType;
  pluginName: string;
  version: string;
  sha256: string;
  command: string;
  pluginFile: 'copy' | 'present' | 'unmanaged';
  catalog: 'register' | 'present';
  /** The catalog's entry for the target version when the plan was made, or `null`. */
  catalogEntry: CatalogEntry | null;
  targets: TargetStep[];
  /** Mounts found on the server when `mounts: all`; `null` when they were listed. */
  discovered: string[] | null;
  /**
   * Mounts to move, in order: the canary batch first, then batches of
   * `batch-size`. Each batch is tuned, reloaded, verified and probed before
   * the next is touched.
   */
  batches: string[][];
  /** Whether the first batch is the canary. */
  canary: boolean;
  /** The version a pin held the plugin at when the plan was made, or `null`. */
  pinned: string | null;
  /**
   * The pin the rollout writes: lifted around each batch's tunes (the server
   * refuses a version tune while a pin is in effect) and left at `to`; `to`
   * is empty when the pin is removed (a builtin cannot be pinned). Restored
   * to `from` on rollback.
   */
  pin: PinMove | null;
  /** Mounts of the plugin not being rolled that a moved or removed pin changes at their next reload. */
  pinnedElsewhere: string[];
  /** Every mount or connection of the plugin, when the plan saw them all (`mounts: all`); else `null`. */
  everyTarget: string[] | null;
  server: Pick<ServerFeatures, 'pins' | 'pluginReload' | 'connectionReload'>;
  /** Catalog versions to deregister once every mount is verified. */
  prune: string[];
  changes: boolean;
}

/**
 * Once a version is in the catalog its entry names the file to run; a re-run
 * must use that name even if the `command` input has changed since.
 */
export function effectiveCommand(
  command: string,
  entry: CatalogEntry | null,
  sha256: string,
): string {
  return entry && entry.sha256 === sha256 && entry.command ? entry.command : command;
}

/** Decides everything the rollout will write, or refuses with every problem in one line. */
export function planRollout(input: PlanInput): Plan {
  const problems: string[] = [];
  const entry = input.catalogEntry;
  if (entry && entry.sha256 !== input.sha256) {
    problems.push(
      `${input.pluginType} plugin ${input.pluginName} ${input.version} is already registered with sha256 ${entry.sha256}, not this artifact's ${input.sha256}; versions are immutable, so release this build as a new version`,
    );
  }
  const file = input.pluginFile;
  if (file?.present && file.sha256 !== input.sha256) {
    problems.push(
      `plugin-directory: ${input.command} already exists with sha256 ${file.sha256}, not ${input.sha256}; refusing to overwrite it`,
    );
  }
  const discovered =
    input.targets === 'all'
      ? [...input.mountTable.values()]
          .filter((m) => m.plugin === input.pluginName && !input.exclude.includes(m.path))
          .map((m) => m.path)
          .sort()
      : null;
  const selected = discovered ?? input.targets;
  if (discovered?.length === 0) {
    problems.push(
      `${listInput(input.pluginType)}: all, but no ${input.pluginType} ${input.pluginType === 'database' ? 'connection' : 'mount'} runs plugin ${input.pluginName}`,
    );
  }
  for (const path of input.canary) {
    if (!selected.includes(path)) {
      problems.push(
        `canary: ${describeTarget(input.pluginType, path)} is not among the mounts being rolled`,
      );
    }
  }
  const steps: TargetStep[] = [];
  for (const path of selected) {
    const mount = input.mountTable.get(path);
    if (!mount) {
      problems.push(
        `${listInput(input.pluginType)}: ${describeTarget(input.pluginType, path)} does not exist`,
      );
      continue;
    }
    if (mount.plugin !== input.pluginName) {
      problems.push(
        `${listInput(input.pluginType)}: ${describeTarget(input.pluginType, path)} runs plugin ${mount.plugin || '(unknown)'}, not ${input.pluginName}`,
      );
      continue;
    }
    steps.push({
      path,
      from: mount.version,
      to: input.version,
      runningVersion: mount.runningVersion,
      runningSha256: mount.runningSha256,
      action: mountAction(mount, input.version, input.sha256),
    });
  }
  const builtinTarget = isBuiltinVersion(input.version);
  if (!builtinTarget && servedInProcess(input.pluginType, input.pluginName)) {
    problems.push(
      `${input.pluginType} plugin ${input.pluginName}: ${input.server.name} serves ${input.pluginName} mounts with its own builtin code whatever version they are tuned to (it refuses to enable ${input.pluginName} at a non-builtin version), so ${input.version} would be registered and never started; release the build under a plugin name of its own and mount that`,
    );
  }
  const tunes = steps.some((s) => s.action === 'tune');
  const pin = pinMove(input, tunes, builtinTarget, problems);
  if (problems.length > 0) throw new PreflightError(problems.join('; '));
  const moving = new Set(steps.map((s) => s.path));
  const pluginTargets = [...input.mountTable.values()].filter((m) => m.plugin === input.pluginName);
  const pinAfter = pin ? pin.to || null : input.pin;
  const prune =
    input.keepVersions === null
      ? []
      : prunableVersions({
          // The target counts among the newest even before this run registers it.
          versions: input.catalogVersions.some((v) => v.version === input.version)
            ? input.catalogVersions
            : [...input.catalogVersions, { version: input.version, builtin: false }],
          inUse: versionsInUse(input, steps),
          keep: input.keepVersions,
          // The server refuses to deregister a pinned version.
          protect: [input.version, ...(pinAfter === null ? [] : [pinAfter])],
        });
  const pluginFile = file === null ? 'unmanaged' : file.present ? 'present' : 'copy';
  const catalog = entry ? 'present' : 'register';
  return {
    pluginType: input.pluginType,
    pluginName: input.pluginName,
    version: input.version,
    sha256: input.sha256,
    command: input.command,
    pluginFile,
    catalog,
    catalogEntry: entry,
    targets: steps,
    discovered,
    batches: batchesOf(steps, input.canary, input.batchSize),
    canary: steps.some((s) => s.action !== 'none' && input.canary.includes(s.path)),
    pinned: input.pin,
    pin,
    pinnedElsewhere:
      pin && pin.from !== pin.to
        ? [...input.allTargets.values()]
            .filter((t) => t.plugin === input.pluginName && !moving.has(t.path))
            .map((t) => t.path)
            .sort()
        : [],
    everyTarget: input.targets === 'all' ? pluginTargets.map((m) => m.path).sort() : null,
    server: {
      pins: input.server.pins,
      pluginReload: input.server.pluginReload,
      connectionReload: input.server.connectionReload,
    },
    prune,
    changes: writesSomething({ pluginFile, catalog, pin, prune, targets: steps }),
  };
}

function writesSomething(
  plan: Pick<Plan, 'pluginFile' | 'catalog' | 'pin' | 'prune' | 'targets'>,
): boolean {
  return (
    plan.pluginFile === 'copy' ||
    plan.catalog === 'register' ||
    plan.pin !== null ||
    plan.prune.length > 0 ||
    plan.targets.some((s) => s.action !== 'none')
  );
}

/**
 * A namespace's plan once an earlier namespace of the same run placed the
 * file and registered the version: the plugin directory and the catalog
 * are shared by every namespace, so only its own mounts are left to move.
 */
export function withCatalogReady(plan: Plan): Plan {
  const ready: Plan = {
    ...plan,
    pluginFile: plan.pluginFile === 'copy' ? 'present' : plan.pluginFile,
    catalog: 'present',
    catalogEntry: plan.catalogEntry ?? {
      name: plan.pluginName,
      version: plan.version,
      sha256: plan.sha256,
      command: plan.command,
      builtin: false,
    },
  };
  return { ...ready, changes: writesSomething(ready) };
}

/** What every mount or connection of the plugin will be configured for, or run, after the rollout. */
function versionsInUse(input: PlanInput, steps: readonly TargetStep[]): Set<string> {
  const moving = new Set(steps.map((s) => s.path));
  const inUse = new Set<string>();
  for (const target of input.allTargets.values()) {
    if (target.plugin !== input.pluginName) continue;
    if (moving.has(target.path)) {
      inUse.add(input.version);
    } else {
      inUse.add(target.version);
      inUse.add(target.runningVersion);
    }
  }
  return inUse;
}

function batchesOf(
  steps: readonly TargetStep[],
  canary: readonly string[],
  size: number,
): string[][] {
  const moving = steps.filter((s) => s.action !== 'none').map((s) => s.path);
  const first = moving.filter((path) => canary.includes(path));
  const rest = moving.filter((path) => !canary.includes(path));
  const batches = first.length > 0 ? [first] : [];
  const step = size > 0 ? size : Math.max(rest.length, 1);
  for (let i = 0; i < rest.length; i += step) batches.push(rest.slice(i, i + step));
  return batches;
}

function mountAction(mount: TargetState, version: string, sha256: string): TargetAction {
  if (mount.version !== version) return 'tune';
  if (mount.runningVersion !== version || mount.runningSha256 !== sha256) return 'reload';
  return 'none';
}
