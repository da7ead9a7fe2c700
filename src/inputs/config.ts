/** The whole run's settings, read and checked from the inputs and the runner's context before anything is written. */
import { ConfigError } from '../domain/errors.ts';
import type { PluginType } from '../domain/plugin.ts';
import { readAuthConfig, type AuthConfig } from './login.ts';
import { booleanInput, oneOf, required, wholeNumber } from './parse.ts';
import { builtinRelease, readRelease, type Release } from './release.ts';
import { readSafety, type SafetyOptions } from './safety.ts';
import { readNamespaces, readServerUrl } from './server.ts';
import type { InputSource, RunContext } from './source.ts';
import { targetList } from './targets.ts';
import { readTransportConfig, type TransportConfig } from './transport.ts';

export interface RolloutConfig extends Release {
  url: string;
  auth: AuthConfig;
  transport: TransportConfig;
  /** The namespace this part of the run works in; empty for the root namespace. */
  namespace: string;
  /** Every namespace the run rolls, in order; `['']` for the root namespace alone. */
  namespaces: string[];
  pluginType: PluginType;
  pluginName: string;
  pluginDirectory: string;
  /** `all`: every mount of this plugin, found on the server, minus `safety.exclude`. */
  targets: string[] | 'all';
  safety: SafetyOptions;
  reloadScope: 'global' | 'local';
  verifyTimeoutSeconds: number;
  /** The longest the run may spend on the server, from connecting to the last call (see `runBudget`). */
  runTimeoutSeconds: number;
  /** Whether to write the job summary. */
  summary: boolean;
  /** File name of the workflow that rolls back, for the summary's link. */
  rollbackWorkflow: string;
}

const PLUGIN_TYPES: readonly PluginType[] = ['secret', 'auth', 'database'];
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Of several bad inputs, the one read first here is the one the error names. */
export function readConfig(inputs: InputSource, ctx: RunContext): RolloutConfig {
  const url = readServerUrl(inputs, ctx);
  const auth = readAuthConfig(inputs, ctx);
  const transport = readTransportConfig(inputs, ctx);
  const namespaces = readNamespaces(inputs, ctx);
  const pluginType = oneOf('plugin-type', inputs.get('plugin-type') || 'secret', PLUGIN_TYPES);
  const pluginName = required('plugin-name', inputs.get('plugin-name'));
  if (!PLUGIN_NAME.test(pluginName)) {
    throw new ConfigError(
      `plugin-name: "${pluginName}" is not a plugin name; use letters, digits, ".", "_" and "-"`,
    );
  }
  const safety = readSafety(inputs, pluginType, namespaces);
  if (namespaces.length > 1) oneNamespaceOnly(safety, namespaces);
  const release = safety.revertToBuiltin
    ? builtinRelease(inputs)
    : readRelease(inputs, ctx, pluginName);
  const targets = targetList(inputs, pluginType, safety.exclude);
  const reloadScope = oneOf('reload-scope', inputs.get('reload-scope') || 'global', [
    'global',
    'local',
  ] as const);
  const verifyTimeoutSeconds = wholeNumber(
    'verify-timeout',
    inputs.get('verify-timeout') || '60',
    1,
    3600,
  );
  return {
    url,
    auth,
    transport,
    namespace: namespaces[0] ?? '',
    namespaces,
    pluginType,
    pluginName,
    ...release,
    pluginDirectory: inputs.get('plugin-directory'),
    targets,
    safety,
    reloadScope,
    verifyTimeoutSeconds,
    runTimeoutSeconds: runTimeout(
      inputs.get('run-timeout'),
      rollbackReserve({ transport, verifyTimeoutSeconds, namespaces }),
      namespaces.length,
    ),
    summary: booleanInput('summary', inputs.get('summary'), true),
    rollbackWorkflow: workflowFile(inputs.get('rollback-workflow') || 'rollback.yml'),
  };
}

/**
 * A pin holds the plugin in every namespace at once, and a revert prunes
 * versions by the mounts of one namespace: neither can move namespace by
 * namespace.
 */
function oneNamespaceOnly(safety: SafetyOptions, namespaces: readonly string[]): void {
  const each = `roll ${namespaces.join(', ')} one a run`;
  if (safety.movePin) {
    throw new ConfigError(
      `pin: a pin holds the plugin in every namespace at once, so it cannot move namespace by namespace; ${each} to pin`,
    );
  }
  if (safety.revertToBuiltin) {
    throw new ConfigError(
      `revert-to-builtin: it deregisters the versions no mount of its namespace runs, which another namespace may still run; ${each} to revert`,
    );
  }
}

/**
 * The time kept back for rolling back: one call's `timeout` and a
 * `verify-timeout` for each namespace a failure may roll back.
 */
export function rollbackReserve(
  config: Pick<RolloutConfig, 'transport' | 'verifyTimeoutSeconds' | 'namespaces'>,
): number {
  return (config.transport.timeoutSeconds + config.verifyTimeoutSeconds) * config.namespaces.length;
}

/** The run must leave a rollback its reserve after the rollout's calls end. */
function runTimeout(raw: string, reserve: number, namespaces: number): number {
  const seconds = wholeNumber('run-timeout', raw || '1800', 1, 86_400);
  if (seconds <= reserve) {
    const each = namespaces > 1 ? `, for each of the ${String(namespaces)} namespaces` : '';
    throw new ConfigError(
      `run-timeout: ${seconds} s leaves no time for a rollback; give more than timeout + verify-timeout${each} (${reserve} s)`,
    );
  }
  return seconds;
}

function workflowFile(name: string): string {
  if (!/^[A-Za-z0-9._-]+\.ya?ml$/.test(name)) {
    throw new ConfigError(
      `rollback-workflow: "${name}" is not a workflow file name; use the file's name in .github/workflows, e.g. rollback.yml`,
    );
  }
  return name;
}
