import { createHash } from 'node:crypto';
import { ConfigError } from '../domain/errors.ts';
import { listInput } from '../domain/plugin.ts';
import type { RolloutConfig } from '../inputs/config.ts';
import type { ServerIdentity } from '../vault/identity.ts';
import type { Plan } from './plan.ts';
import {
  isRecord,
  readSavedPlan,
  type PlanInputs,
  type SavedPlan,
  type SavedServer,
} from './saved-plan-shape.ts';

/** Raised when the meaning of a field changes; a plan of another format is refused, never guessed at. */
export const PLAN_FORMAT_VERSION = 1;

/** What a plan was made from besides the server state it read: recorded with it so an apply can check it. */
export interface PlanOrigin {
  server: SavedServer;
  inputs: PlanInputs;
  /** The workflow run that made the plan; empty outside one. */
  runUrl: string;
}

export function planOrigin(
  config: RolloutConfig,
  identity: ServerIdentity,
  runUrl: string,
): PlanOrigin {
  return {
    server: {
      url: config.url,
      cluster_id: identity.clusterId,
      cluster_name: identity.clusterName,
      product: `${identity.product} ${identity.version}`,
      namespace: config.namespace,
    },
    inputs: planInputs(config),
    runUrl,
  };
}

/**
 * The inputs that decide what the plan writes. Those that only decide how
 * it is applied and checked (login, TLS, probe, nodes, reload-scope,
 * timeouts, rollback-on-failure, concurrency) may differ between the jobs.
 */
export function planInputs(config: RolloutConfig): PlanInputs {
  const { safety } = config;
  return {
    'plugin-type': config.pluginType,
    'plugin-name': config.pluginName,
    version: config.version,
    [listInput(config.pluginType)]: config.targets,
    exclude: safety.exclude,
    canary: safety.canary,
    'batch-size': safety.batchSize,
    pin: safety.movePin,
    'keep-versions': safety.keepVersions,
    'revert-to-builtin': safety.revertToBuiltin,
    'plugin-directory': config.pluginDirectory,
    command: config.command,
  };
}

/** What the plan read from the server, in the shape the saved plan records it. */
export function observedState(plan: Plan): Pick<SavedPlan, 'catalog_entry' | 'pinned' | 'mounts'> {
  const entry = plan.catalogEntry;
  return {
    catalog_entry: entry
      ? { sha256: entry.sha256, command: entry.command, builtin: entry.builtin }
      : null,
    pinned: plan.pinned,
    mounts: plan.targets.map((m) => ({
      mount: m.path,
      from: m.from,
      to: m.to,
      action: m.action,
      running_version: m.runningVersion,
      running_sha256: m.runningSha256,
    })),
  };
}

/** The plan as the `plan` output publishes it and the `plan` input takes it back. */
export function recordPlan(
  plan: Plan,
  origin: PlanOrigin,
  provenance: Record<string, unknown> | null,
): SavedPlan {
  const { catalog_entry, pinned, mounts } = observedState(plan);
  const body: Omit<SavedPlan, 'digest'> = {
    format_version: PLAN_FORMAT_VERSION,
    type: plan.pluginType,
    name: plan.pluginName,
    version: plan.version,
    sha256: plan.sha256,
    command: plan.command,
    plugin_file: plan.pluginFile,
    catalog: plan.catalog,
    discovered: plan.discovered,
    mounts,
    batches: plan.batches,
    canary: plan.canary,
    pin: plan.pin,
    prune: plan.prune,
    changes: plan.changes,
    pinned,
    catalog_entry,
    server: origin.server,
    artifact: provenance,
    inputs: origin.inputs,
    made_by: origin.runUrl ? { run_url: origin.runUrl } : null,
  };
  const { format_version, ...rest } = body;
  return { format_version, digest: digestOf(body), ...rest };
}

/**
 * Reads a plan back. The format version is checked first (another format
 * may digest differently), then the digest, so that a plan cut short or
 * edited by hand is refused as such; a digest is no signature, and what
 * keeps a forged plan from doing harm is that the apply reads everything
 * it records again.
 */
export function parseSavedPlan(text: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(
      'plan: not valid JSON (cut short, or changed by hand); pass the plan output of a dry run as it is',
    );
  }
  if (!isRecord(value) || !('format_version' in value)) {
    throw new ConfigError(
      'plan: not a plan (it has no format_version); pass the plan output of a dry run as it is',
    );
  }
  const format = value.format_version;
  if (format !== PLAN_FORMAT_VERSION) {
    const shown = typeof format === 'number' ? String(format) : JSON.stringify(format).slice(0, 40);
    throw new ConfigError(
      `plan: format_version ${shown} is not one this action reads (it reads ${String(PLAN_FORMAT_VERSION)}); make the plan with the same release of the action that applies it`,
    );
  }
  if (value.digest !== digestOf(value)) {
    throw new ConfigError(
      'plan: its digest does not match its content, so it was changed after it was made; make a new plan instead of editing one',
    );
  }
  return readSavedPlan(value);
}

/** Over the canonical JSON of every field but the digest, so the plan's layout and key order do not matter. */
function digestOf(plan: Record<string, unknown>): string {
  const { digest: _, ...content } = plan;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/** JSON with every object's keys sorted: one text for one value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const fields = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}
