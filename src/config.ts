import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from './errors.ts';
import { parsePlatform, runnerPlatform, type Platform } from './platform.ts';
import { readTrustPolicy, type TrustPolicy } from './trust-config.ts';
import { bareVersion, canonicalVersion } from './version.ts';

export type PluginType = 'secret' | 'auth';

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
  token: string;
  namespace: string;
  pluginType: PluginType;
  pluginName: string;
  version: string;
  platform: Platform;
  artifact: ArtifactSource;
  trust: TrustPolicy;
  pluginDirectory: string;
  command: string;
  mounts: string[];
  reloadScope: 'global' | 'local';
  verifyTimeoutSeconds: number;
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

const PLUGIN_TYPES: readonly PluginType[] = ['secret', 'auth'];
const PLUGIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const COMMAND = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PLACEHOLDER = /\{([^}]*)\}/g;
const PLACEHOLDERS = ['version', 'os', 'arch'] as const;

export function readConfig(inputs: InputSource, ctx: RunContext): RolloutConfig {
  const url = serverUrl(inputs.get('url') || ctx.env.VAULT_ADDR || ctx.env.BAO_ADDR || '');
  const token =
    inputs.secret('token') || envSecret(ctx, 'VAULT_TOKEN') || envSecret(ctx, 'BAO_TOKEN');
  if (!token) {
    throw new ConfigError('token: no token given; set the token input, VAULT_TOKEN or BAO_TOKEN');
  }
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
  return {
    url,
    token,
    namespace,
    pluginType,
    pluginName,
    version,
    platform,
    artifact,
    trust: readTrustPolicy({
      get: (name) =>
        name === 'checksums' && inputs.get(name)
          ? expandTemplate(inputs.get(name), { version, platform })
          : inputs.get(name),
    }),
    pluginDirectory: inputs.get('plugin-directory'),
    command,
    mounts: mountList(inputs.get('mounts'), pluginType),
    reloadScope: oneOf('reload-scope', inputs.get('reload-scope') || 'global', [
      'global',
      'local',
    ] as const),
    verifyTimeoutSeconds: wholeNumber(
      'verify-timeout',
      inputs.get('verify-timeout') || '60',
      1,
      3600,
    ),
  };
}

function required(inputs: InputSource, name: string): string {
  const value = inputs.get(name);
  if (!value) throw new ConfigError(`${name}: required, but empty`);
  return value;
}

function envSecret(ctx: RunContext, name: string): string {
  const value = ctx.env[name]?.trim() ?? '';
  if (value) ctx.mask(value);
  return value;
}

function oneOf<T extends string>(name: string, value: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: "${value}" is not one of ${valid.join(', ')}`);
  }
  return value as T;
}

function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
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
): string {
  const unknown = [...template.matchAll(PLACEHOLDER)]
    .map((m) => m[1] ?? '')
    .filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `artifact: unknown placeholder {${unknown[0] ?? ''}} in "${template}"; valid: ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
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

/** One mount a line, `#` comments allowed, as `secrets list` and `auth list` print them. */
export function mountList(raw: string, pluginType: PluginType): string[] {
  const mounts: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const text = line.replace(/(^|\s)#.*$/, '').trim();
    if (!text) continue;
    let path = text.replace(/^\/+|\/+$/g, '');
    if (pluginType === 'auth') path = path.replace(/^auth\//, '');
    if (!path || !isSafePath(path)) {
      throw new ConfigError(
        `mounts: "${text}" is not a mount path; use paths like acme or team-a/acme, one a line`,
      );
    }
    if (mounts.includes(path)) throw new ConfigError(`mounts: "${text}" is listed twice`);
    mounts.push(path);
  }
  if (mounts.length === 0) throw new ConfigError('mounts: required, but lists no mount');
  return mounts;
}

function isSafePath(path: string): boolean {
  return path
    .split('/')
    .every(
      (segment) =>
        segment !== '' && segment !== '.' && segment !== '..' && /^[^\s?#%\\]+$/.test(segment),
    );
}

function unique(values: string[]): string[] {
  return [...new Set(values.filter((v) => v !== ''))];
}
