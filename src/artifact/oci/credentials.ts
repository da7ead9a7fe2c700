import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';

/** A user and password for a registry's token service (or its Basic challenge), and where it came from. */
export interface RegistryCredential {
  user: string;
  password: string;
  /** Names the source in messages: `github-token` or the config file's path. */
  source: string;
}

export interface CredentialSources {
  githubToken: string;
  /** GITHUB_ACTOR, the user name ghcr.io is told with the workflow token. */
  githubActor: string;
  /** The directory of Docker's config.json: DOCKER_CONFIG, else ~/.docker. */
  dockerConfig: string;
  mask: (secret: string) => void;
  log: (line: string) => void;
}

/**
 * The credential for a registry: the workflow's github-token for ghcr.io;
 * otherwise the `auths` entry `docker login` wrote to config.json; otherwise
 * none, and the registry is asked anonymously. Credential helpers
 * (`credsStore`, `credHelpers`) are programs the action does not run.
 */
export async function credentialFor(
  registry: string,
  sources: CredentialSources,
): Promise<RegistryCredential | null> {
  if (registry === 'ghcr.io' && sources.githubToken) {
    return {
      user: sources.githubActor || 'x-access-token',
      password: sources.githubToken,
      source: 'github-token',
    };
  }
  const file = join(sources.dockerConfig, 'config.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return null;
  }
  let config: DockerConfig;
  try {
    config = JSON.parse(text) as DockerConfig;
  } catch {
    throw new ArtifactError(`${file}: not JSON; fix or remove it, or run docker login again`);
  }
  const entry = Object.entries(config.auths ?? {}).find(([key]) => hostOf(key) === registry)?.[1];
  const [user, password] = entry ? userAndPassword(entry, file) : ['', ''];
  if (user && password) {
    sources.mask(password);
    return { user, password, source: file };
  }
  if (config.credsStore || config.credHelpers?.[registry]) {
    sources.log(
      `${file} leaves ${registry}'s credential to a credential helper, which the action does not run; asking anonymously`,
    );
  }
  return null;
}

interface AuthEntry {
  auth?: unknown;
  username?: unknown;
  password?: unknown;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** `auths` keys are hosts, or URLs such as `https://index.docker.io/v1/` in older files. */
function hostOf(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

function userAndPassword(entry: AuthEntry, file: string): [string, string] {
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0)
      throw new ArtifactError(`${file}: an auths entry's auth is not base64 of user:password`);
    return [decoded.slice(0, colon), decoded.slice(colon + 1)];
  }
  return [
    typeof entry.username === 'string' ? entry.username : '',
    typeof entry.password === 'string' ? entry.password : '',
  ];
}
