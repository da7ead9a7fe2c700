/**
 * The release to roll out: its version, the platform, where its artifact
 * comes from and how it is checked, and the command it is registered under.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../domain/errors.ts';
import { parsePlatform, runnerPlatform, type Platform } from '../domain/platform.ts';
import { bareVersion, canonicalVersion } from '../domain/version.ts';
import {
  isImageReference,
  parseImageReference,
  refuseArchiveInputs,
  type ImageReference,
} from './image-reference.ts';
import { required } from './parse.ts';
import type { InputSource, RunContext } from './source.ts';
import { readTrustPolicy, type TrustPolicy } from './trust.ts';

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
  | { kind: 'file'; path: string; githubToken: string }
  | {
      kind: 'oci';
      reference: ImageReference;
      /** Used as ghcr.io's credential; and for attestations, as everywhere. */
      githubToken: string;
      githubActor: string;
      /** Where Docker's config.json is read: DOCKER_CONFIG, else ~/.docker. */
      dockerConfig: string;
    };

/** The release's part of the RolloutConfig. */
export interface Release {
  /** Empty when reverting to the builtin, whose version the server tells. */
  version: string;
  platform: Platform;
  /** `null` when reverting to the builtin: there is nothing to download. */
  artifact: ArtifactSource | null;
  trust: TrustPolicy;
  command: string;
}

const COMMAND = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const PLACEHOLDER = /\{([^}]*)\}/g;
const PLACEHOLDERS = ['version', 'os', 'arch'] as const;

export function readRelease(inputs: InputSource, ctx: RunContext, pluginName: string): Release {
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

/** The builtin plugin ships inside the server: there is nothing to name, fetch or check. */
export function builtinRelease(inputs: InputSource): Release {
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
  const template = required('artifact', inputs.get('artifact'));
  const expanded = expandTemplate(template, values);
  if (isImageReference(expanded)) {
    refuseArchiveInputs((name) => inputs.get(name));
    return {
      kind: 'oci',
      reference: parseImageReference(expanded, template),
      githubToken: values.githubToken,
      githubActor: ctx.env.GITHUB_ACTOR ?? '',
      dockerConfig: ctx.env.DOCKER_CONFIG || join(ctx.env.HOME || homedir(), '.docker'),
    };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(expanded)) {
    let parsed: URL;
    try {
      parsed = new URL(expanded);
    } catch {
      throw new ConfigError(`artifact: "${template}" is not a valid URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ConfigError(
        `artifact: "${template}" must be an https://, http:// or oci:// URL, or a release asset name`,
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
