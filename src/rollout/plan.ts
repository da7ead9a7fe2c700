import type { PluginType } from '../config.ts';
import { PreflightError } from '../errors.ts';
import type { PluginFileState } from '../artifact/place.ts';
import type { CatalogEntry, CatalogVersion } from '../vault/catalog.ts';
import { prunableVersions } from './prune.ts';
import type { MountState } from '../vault/mounts.ts';

export interface PlanInput {
  pluginType: PluginType;
  pluginName: string;
  version: string;
  sha256: string;
  command: string;
  mounts: readonly string[] | 'all';
  exclude: readonly string[];
  canary: readonly string[];
  batchSize: number;
  catalogEntry: CatalogEntry | null;
  mountTable: ReadonlyMap<string, MountState>;
  /** `null` when the action does not manage the plugin directory. */
  pluginFile: PluginFileState | null;
  /** The version a pin holds the plugin at (Vault 1.16+), or `null`. */
  pin: string | null;
  movePin: boolean;
  /** Every version of the plugin in the catalog, for pruning. */
  catalogVersions: readonly CatalogVersion[];
  /** Newest external versions to keep after success; `null` prunes nothing. */
  keepVersions: number | null;
  /** Every mount or connection in the namespace, to see which versions stay in use. */
  allTargets: ReadonlyMap<string, MountState>;
}

/** `tune` moves the configured version; `reload` restarts a mount already configured but not running it. */
export type MountAction = 'tune' | 'reload' | 'none';

export interface MountStep {
  path: string;
  from: string;
  to: string;
  runningVersion: string;
  runningSha256: string;
  action: MountAction;
}

export interface Plan {
  pluginType: PluginType;
  pluginName: string;
  version: string;
  sha256: string;
  command: string;
  pluginFile: 'copy' | 'present' | 'unmanaged';
  catalog: 'register' | 'present';
  mounts: MountStep[];
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
  /** The pin to move before the first reload, and back on rollback. */
  pin: { from: string; to: string } | null;
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
    input.mounts === 'all'
      ? [...input.mountTable.values()]
          .filter((m) => m.plugin === input.pluginName && !input.exclude.includes(m.path))
          .map((m) => m.path)
          .sort()
      : null;
  const selected = discovered ?? input.mounts;
  if (discovered?.length === 0) {
    problems.push(
      `${listInput(input.pluginType)}: all, but no ${input.pluginType} ${input.pluginType === 'database' ? 'connection' : 'mount'} runs plugin ${input.pluginName}`,
    );
  }
  for (const path of input.canary) {
    if (!selected.includes(path)) {
      problems.push(
        `canary: ${describeMount(input.pluginType, path)} is not among the mounts being rolled`,
      );
    }
  }
  const steps: MountStep[] = [];
  for (const path of selected) {
    const mount = input.mountTable.get(path);
    if (!mount) {
      problems.push(
        `${listInput(input.pluginType)}: ${describeMount(input.pluginType, path)} does not exist`,
      );
      continue;
    }
    if (mount.plugin !== input.pluginName) {
      problems.push(
        `${listInput(input.pluginType)}: ${describeMount(input.pluginType, path)} runs plugin ${mount.plugin || '(unknown)'}, not ${input.pluginName}`,
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
  if (input.pin !== null && input.pin !== input.version && !input.movePin) {
    problems.push(
      `a pin holds ${input.pluginType} plugin ${input.pluginName} at ${input.pin}, and every reload starts the pinned version whatever the mounts say; set pin: true to move the pin to ${input.version}, or delete the pin`,
    );
  }
  if (problems.length > 0) throw new PreflightError(problems.join('; '));
  const pin =
    input.pin !== null && input.pin !== input.version
      ? { from: input.pin, to: input.version }
      : null;
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
          protect: [input.version, ...(input.pin === null ? [] : [input.pin])],
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
    mounts: steps,
    discovered,
    batches: batchesOf(steps, input.canary, input.batchSize),
    canary: steps.some((s) => s.action !== 'none' && input.canary.includes(s.path)),
    pin,
    prune,
    changes:
      pluginFile === 'copy' ||
      catalog === 'register' ||
      pin !== null ||
      prune.length > 0 ||
      steps.some((s) => s.action !== 'none'),
  };
}

/** What every mount or connection of the plugin will be configured for, or run, after the rollout. */
function versionsInUse(input: PlanInput, steps: readonly MountStep[]): Set<string> {
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
  steps: readonly MountStep[],
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

function mountAction(mount: MountState, version: string, sha256: string): MountAction {
  if (mount.version !== version) return 'tune';
  if (mount.runningVersion !== version || mount.runningSha256 !== sha256) return 'reload';
  return 'none';
}

/** The input that lists what a plugin type moves. */
export function listInput(type: PluginType): 'mounts' | 'connections' {
  return type === 'database' ? 'connections' : 'mounts';
}

export function describeMount(type: PluginType, path: string): string {
  if (type === 'database') return path;
  return type === 'auth' ? `auth/${path}` : `${path}/`;
}
