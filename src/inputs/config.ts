import { isAbsolute, resolve } from 'node:path';
import {
  readAuthConfig,
  readTransportConfig,
  type AuthConfig,
  type TransportConfig,
} from './connection.ts';
import { ConfigError } from '../domain/errors.ts';
import type { PluginType } from '../domain/plugin.ts';
import { parsePlatform, runnerPlatform, type Platform } from '../domain/platform.ts';
import { booleanInput, isSafePath, oneOf, pathList, wholeNumber } from './parse.ts';
import { readSafety, type SafetyOptions } from './safety.ts';
import { readTrustPolicy, type TrustPolicy } from './trust.ts';
import { bareVersion, canonicalVersion } from '../domain/version.ts';

export type ArtifactSource =
  | {
      kind: 'release';
      apiUrl: string;
      owner: string;
      repo: string;
      /** Tags to try in order: the pushed tag alone, or the version spelled `v1.2.3` then `1.2.3`. */
      tags: string[];
      asset: string;
      githubToken: string;
    }
  | { kind: 'url'; url: string; githubToken: string }
  | { kind: 'file'; path: string; githubToken: string };

export interface RolloutConfig {
  url: string;
  auth: AuthConfig;
  transport: TransportConfig;
  namespace: string;
  pluginType: PluginType;
  pluginName: string;
  version: string;
  platform: Platform;
  artifact: ArtifactSource | null;
  trust: TrustPolicy;
  pluginDirectory: string;
  command: string;
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

/** Where inputs come from; `secret` must mask the value before returning it. */
export interface InputSource {
  get(name: string): string;
  secret(name: string): string;
}

/** The parts of the runner's environment that shape defaults. */
export interface RunContext {
  env: Readonly<Record<string, string | undefined>>;
  eventName: string;
  eventInputs: Readonly<Record<string, unknown>>;
  ref: string;
  repository: string;
  apiUrl: string;
  nodePlatform: string;
  nodeArch: string;
  /** Masks a secret that came from the environment rather than an input. */
  mask(value: string): void;
}

const PLUGIN_TYPES: readonly PluginType[] = ['secret', 'auth', 'database'];
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const COMMAND = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PLACEHOLDER = /\{([^}]*)\}/g;
const PLACEHOLDERS = ['version', 'os', 'arch'] as const;

export function readConfig(inputs: InputSource, ctx: RunContext): RolloutConfig {
  const url = serverUrl(inputs.get('url') || ctx.env.VAULT_ADDR || ctx.env.BAO_ADDR || '');
  const auth = readAuthConfig(inputs, ctx);
  const connection = readTransportConfig(inputs, ctx);
  const namespace = namespacePath(
    inputs.get('namespace') || ctx.env.VAULT_NAMESPACE || ctx.env.BAO_NAMESPACE || '',
  );
  const pluginType = oneOf('plugin-type', inputs.get('plugin-type') || 'secret', PLUGIN_TYPES);
  const pluginName = required(inputs, 'plugin-name');
  if (!PLUGIN_NAME.test(pluginName)) {
    throw new ConfigError(
      `plugin-name: "${pluginName}" is not a plugin name; use letters, digits, ".", "_" and "-"`,
    );
  }
  const safety = readSafety(inputs, pluginType, namespace);
  const release = safety.revertToBuiltin
    ? revertTarget(inputs)
    : releaseTarget(inputs, ctx, pluginName);
  const targets = targetList(inputs, pluginType);
  if (safety.exclude.length > 0 && targets !== 'all') {
    throw new ConfigError(
      `exclude: "${safety.exclude.join(', ')}" only applies with ${pluginType === 'database' ? 'connections' : 'mounts'}: all; remove it or leave those out of the list`,
    );
  }
  const verifyTimeoutSeconds = wholeNumber(
    'verify-timeout',
    inputs.get('verify-timeout') || '60',
    1,
    3600,
  );
  return {
    url,
    auth,
    transport: connection,
    namespace,
    pluginType,
    pluginName,
    ...release,
    pluginDirectory: inputs.get('plugin-directory'),
    targets: targets,
    safety,
    reloadScope: oneOf('reload-scope', inputs.get('reload-scope') || 'global', [
      'global',
      'local',
    ] as const),
    verifyTimeoutSeconds,
    runTimeoutSeconds: runTimeout(
      inputs.get('run-timeout'),
      connection.timeoutSeconds,
      verifyTimeoutSeconds,
    ),
    summary: booleanInput('summary', inputs.get('summary'), true),
    rollbackWorkflow: workflowFile(inputs.get('rollback-workflow') || 'rollback.yml'),
  };
}

/** The run must leave a rollback one call's `timeout` and a `verify-timeout` after the rollout's calls end. */
function runTimeout(raw: string, timeout: number, verifyTimeout: number): number {
  const seconds = wholeNumber('run-timeout', raw || '1800', 1, 86_400);
  const reserve = timeout + verifyTimeout;
  if (seconds <= reserve) {
    throw new ConfigError(
      `run-timeout: ${seconds} s leaves no time for a rollback; give more than timeout + verify-timeout (${reserve} s)`,
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

interface ReleaseTarget {
  /** Empty when reverting to the builtin, whose version the server tells. */
  version: string;
  platform: Platform;
  /** `null` when reverting to the builtin: there is nothing to download. */
  artifact: ArtifactSource | null;
  trust: TrustPolicy;
  command: string;
}

function releaseTarget(inputs: InputSource, ctx: RunContext, pluginName: string): ReleaseTarget {
  const explicitVersion = inputs.get('version');
  const derived = explicitVersion ? null : versionFromEvent(ctx);
  const rawVersion = explicitVersion || derived?.version || '';
  if (!rawVersion) {
    throw new ConfigError(
      'version: no version given, and this run is neither a tag push (refs/tags/v1.2.3) nor a workflow_dispatch with a version input',
    );
  }
  const version = canonicalVersion(rawVersion);
  const platformInput = inputs.get('platform');
  const platform = platformInput
    ? parsePlatform(platformInput)
    : runnerPlatform(ctx.nodePlatform, ctx.nodeArch);
  const explicitTag = inputs.get('release-tag');
  const tags = explicitTag
    ? [explicitTag]
    : derived?.tag
      ? [derived.tag]
      : unique([version, rawVersion, bareVersion(version)]);
  const githubToken = inputs.secret('github-token');
  const artifact = artifactSource(inputs, ctx, { version, platform, tags, githubToken });
  const command = inputs.get('command') || `${pluginName}-${version}`;
  if (!COMMAND.test(command)) {
    throw new ConfigError(
      `command: "${command}" is not a file name in the plugin directory; use letters, digits, ".", "_", "+" and "-" with no "/"`,
    );
  }
  const trust = readTrustPolicy({
    get: (name) =>
      name === 'checksums' && inputs.get(name)
        ? expandTemplate(inputs.get(name), { version, platform }, name)
        : inputs.get(name),
  });
  return { version, platform, artifact, trust, command };
}

function revertTarget(inputs: InputSource): ReleaseTarget {
  for (const name of ['artifact', 'version', 'command', 'plugin-directory']) {
    if (inputs.get(name)) {
      throw new ConfigError(
        `${name}: not used with revert-to-builtin: true; the builtin plugin ships inside the server`,
      );
    }
  }
  return {
    version: '',
    platform: { os: 'linux', arch: 'amd64' },
    artifact: null,
    trust: readTrustPolicy({ get: () => '' }),
    command: '',
  };
}

/** Mounts for secret and auth plugins, `<db-mount>/<connection>` for database plugins. */
function targetList(inputs: InputSource, pluginType: PluginType): string[] | 'all' {
  const [used, unused] =
    pluginType === 'database' ? ['connections', 'mounts'] : ['mounts', 'connections'];
  if (inputs.get(unused)) {
    throw new ConfigError(
      `${unused}: not used with plugin-type ${pluginType}; list what to move in ${used}`,
    );
  }
  const raw = inputs.get(used);
  if (raw.trim() === 'all') return 'all';
  const paths = pathList(used, raw, pluginType, true);
  const bare = paths.find((path) => pluginType === 'database' && !path.includes('/'));
  if (bare) {
    throw new ConfigError(
      `connections: "${bare}" is not <db-mount>/<connection>, such as database/orders`,
    );
  }
  return paths;
}

function required(inputs: InputSource, name: string): string {
  const value = inputs.get(name);
  if (!value) throw new ConfigError(`${name}: required, but empty`);
  return value;
}

function serverUrl(raw: string): string {
  if (!raw)
    throw new ConfigError('url: no server address; set the url input, VAULT_ADDR or BAO_ADDR');
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`url: "${raw}" is not a URL; use e.g. https://vault.example.com:8200`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new ConfigError(`url: "${raw}" must start with https:// or http://`);
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    throw new ConfigError(
      `url: "${raw}" must be a plain server address, without credentials, query or fragment`,
    );
  }
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

function namespacePath(raw: string): string {
  const trimmed = raw.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed && !isSafePath(trimmed)) {
    throw new ConfigError(
      `namespace: "${raw}" is not a namespace path such as team-a or team-a/prod`,
    );
  }
  return trimmed;
}

function versionFromEvent(ctx: RunContext): { version: string; tag: string | null } | null {
  if (ctx.eventName === 'workflow_dispatch') {
    const given = ctx.eventInputs.version;
    if (typeof given === 'string' && given.trim()) return { version: given.trim(), tag: null };
  }
  const tag = /^refs\/tags\/(.+)$/.exec(ctx.ref)?.[1];
  return tag ? { version: tag, tag } : null;
}

interface TemplateValues {
  version: string;
  tags: string[];
  platform: Platform;
  githubToken: string;
}

function artifactSource(
  inputs: InputSource,
  ctx: RunContext,
  values: TemplateValues,
): ArtifactSource {
  const template = required(inputs, 'artifact');
  const expanded = expandTemplate(template, values);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(expanded)) {
    let parsed: URL;
    try {
      parsed = new URL(expanded);
    } catch {
      throw new ConfigError(`artifact: "${template}" is not a valid URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ConfigError(
        `artifact: "${template}" must be an https:// or http:// URL, or a release asset name`,
      );
    }
    return { kind: 'url', url: parsed.href, githubToken: values.githubToken };
  }
  if (expanded.includes('/')) {
    // Asset names never hold a "/", so this is a file an earlier step built.
    const workspace = ctx.env.GITHUB_WORKSPACE || process.cwd();
    const path = isAbsolute(expanded) ? expanded : resolve(workspace, expanded);
    return { kind: 'file', path, githubToken: values.githubToken };
  }
  const repository = inputs.get('release-repository') || ctx.repository;
  if (!REPOSITORY.test(repository)) {
    throw new ConfigError(
      `release-repository: "${repository}" is not OWNER/REPO; set release-repository or run inside a repository`,
    );
  }
  const [owner = '', repo = ''] = repository.split('/');
  return {
    kind: 'release',
    apiUrl: (ctx.apiUrl || 'https://api.github.com').replace(/\/+$/, ''),
    owner,
    repo,
    tags: values.tags,
    asset: expanded,
    githubToken: values.githubToken,
  };
}

/** `{version}` is the bare version (1.2.3) as most asset names spell it; write `v{version}` for the other spelling. */
export function expandTemplate(
  template: string,
  values: Omit<TemplateValues, 'tags' | 'githubToken'>,
  input = 'artifact',
): string {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `${input}: unknown placeholder {${unknown[0] ?? ''}} in "${template}"; valid: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
    );
  }
  const replacements: Record<(typeof PLACEHOLDERS)[number], string> = {
    version: bareVersion(values.version),
    os: values.platform.os,
    arch: values.platform.arch,
  };
  return template.replace(
    PLACEHOLDER,
    (_, name: (typeof PLACEHOLDERS)[number]) => replacements[name],
  );
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}
