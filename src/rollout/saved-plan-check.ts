import type { ArtifactFacts } from '../artifact/facts.ts';
import { ArtifactError, ConfigError, PreflightError } from '../domain/errors.ts';
import { describeTarget } from '../domain/plugin.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import type { ServerIdentity } from '../vault/identity.ts';
import type { Plan } from './plan.ts';
import { canonicalJson, observedState, planInputs } from './saved-plan.ts';
import type { InputValue, PlanInputs, SavedPlan } from './saved-plan-shape.ts';

// Applying a saved plan: each check runs as soon as the run knows what it
// compares, and each names the first difference in one line. Like the drift
// checks before each write, they compare what the plan read with what the
// server says now; unlike them, any difference at all refuses the plan, since
// a reviewer approved exactly what it shows.

/** `as-planned`: the server is as the plan read it; `already-applied`: it is where the plan leads. */
export type PlanCheck = 'as-planned' | 'already-applied';

/** Before anything is downloaded: the inputs that decide what is written must be the plan's. */
export function checkInputs(saved: SavedPlan, config: RolloutConfig): void {
  const now: PlanInputs = { ...planInputs(config), namespace: config.namespace };
  const then: PlanInputs = { ...saved.inputs, namespace: saved.server.namespace };
  for (const [name, value] of Object.entries(now)) {
    const planned = then[name];
    if (planned === undefined || canonicalJson(planned) !== canonicalJson(value)) {
      throw new ConfigError(
        `plan: made with ${name} ${shown(planned)}, but this run has ${name} ${shown(value)}; apply a plan with the inputs it was made with, or make a new plan`,
      );
    }
  }
}

/** Once the artifact is fetched: it must be the binary the plan was made for. */
export function checkArtifact(saved: SavedPlan, artifact: ArtifactFacts | null): void {
  const sha256 = artifact?.sha256 ?? '';
  if (sha256 !== saved.sha256) {
    throw new ArtifactError(
      `plan was made for the binary with sha256 ${saved.sha256 || '(none)'}, but the artifact fetched now has sha256 ${sha256 || '(none)'}`,
    );
  }
}

/** Once the server has answered: it must be the cluster the plan was made on. */
export function checkServer(saved: SavedPlan, identity: ServerIdentity, url: string): void {
  const then = saved.server;
  if (!then.cluster_id) {
    throw new PreflightError(
      'plan: it records no cluster id for the server it was made on, so this run cannot tell whether it is the same server; make the plan again',
    );
  }
  if (!identity.clusterId) {
    throw new PreflightError(
      `plan: ${url} reports no cluster id in sys/health, so this run cannot tell whether it is the server the plan was made on`,
    );
  }
  if (then.cluster_id !== identity.clusterId) {
    throw new PreflightError(
      `plan was made on cluster ${then.cluster_name} (id ${then.cluster_id}), but ${url} is cluster ${identity.clusterName} (id ${identity.clusterId}); apply a plan made on this server`,
    );
  }
}

/**
 * Once the server is read and the plan made again: the plan is applied only
 * when the server still is as the saved plan read it, or already where the
 * saved plan leads (a second apply writes nothing).
 */
export function checkState(saved: SavedPlan, fresh: Plan): PlanCheck {
  const difference = stateDifference(saved, fresh) ?? decisionDifference(saved, fresh);
  if (difference === null) return 'as-planned';
  if (!fresh.changes) return 'already-applied';
  throw new PreflightError(`plan is stale: ${difference}`);
}

function stateDifference(saved: SavedPlan, fresh: Plan): string | null {
  const now = observedState(fresh);
  const what = `${saved.type} plugin ${saved.name} ${saved.version}`;
  if (canonicalJson(now.catalog_entry) !== canonicalJson(saved.catalog_entry)) {
    return `${what} is now ${registration(now.catalog_entry)}, planned ${registration(saved.catalog_entry)}`;
  }
  if (now.pinned !== saved.pinned) {
    return `${saved.type} plugin ${saved.name} is now ${pinState(now.pinned)}, planned ${pinState(saved.pinned)}`;
  }
  const where = (path: string): string => describeTarget(saved.type, path);
  const paths = new Set(now.mounts.map((m) => m.mount));
  const gone = saved.mounts.find((m) => !paths.has(m.mount));
  if (gone) return `${where(gone.mount)} is gone, or no longer runs plugin ${saved.name}`;
  const added = now.mounts.find((m) => !saved.mounts.some((s) => s.mount === m.mount));
  if (added)
    return `${where(added.mount)} now runs plugin ${saved.name}, and the plan did not include it`;
  for (const then of saved.mounts) {
    const m = now.mounts.find((n) => n.mount === then.mount);
    if (!m) continue;
    if (m.running_version !== then.running_version) {
      return `${where(m.mount)} now runs ${version(m.running_version)}, planned from ${version(then.running_version)}`;
    }
    if (m.from !== then.from) {
      return `${where(m.mount)} is now configured for ${version(m.from)}, planned from ${version(then.from)}`;
    }
    if (m.running_sha256 !== then.running_sha256) {
      return `${where(m.mount)} now runs the binary with sha256 ${m.running_sha256 || '(none)'}, planned from ${then.running_sha256 || '(none)'}`;
    }
  }
  return null;
}

/** What the plan decides from state it does not record: the plugin directory, the rest of the catalog, other mounts. */
function decisionDifference(saved: SavedPlan, fresh: Plan): string | null {
  if (fresh.pluginFile !== saved.plugin_file) {
    return `the plugin file ${saved.command} would now be ${FILE_ACTION[fresh.pluginFile]}, planned ${FILE_ACTION[saved.plugin_file]}`;
  }
  const decided: [string, unknown, unknown][] = [
    ['the target version', fresh.version, saved.version],
    ['command', fresh.command, saved.command],
    ['the versions to deregister', fresh.prune, saved.prune],
    ['the pin to write', fresh.pin, saved.pin],
    ['the batches', fresh.batches, saved.batches],
  ];
  for (const [name, now, then] of decided) {
    if (canonicalJson(now) !== canonicalJson(then)) {
      return `${name} would now be ${canonicalJson(now)}, planned ${canonicalJson(then)}`;
    }
  }
  return null;
}

const FILE_ACTION: Record<Plan['pluginFile'], string> = {
  copy: 'copied into plugin-directory',
  present: 'left as it is in plugin-directory',
  unmanaged: 'managed outside the action',
};

function registration(entry: SavedPlan['catalog_entry']): string {
  if (!entry) return 'not registered';
  if (entry.builtin) return 'builtin';
  return `registered with sha256 ${entry.sha256} and command ${entry.command}`;
}

function pinState(pin: string | null): string {
  return pin === null ? 'not pinned' : `pinned at ${pin}`;
}

function version(value: string): string {
  return value || '(no version)';
}

function shown(value: InputValue | undefined): string {
  if (value === undefined) return '(not recorded)';
  if (Array.isArray(value)) return value.length > 0 ? value.join(', ') : '(none)';
  if (value === null || value === '') return '(empty)';
  return String(value);
}
