/** Which server the run talks to, and in which namespace. */
import { ConfigError } from '../domain/errors.ts';
import { cliSetting } from './cli-environment.ts';
import { isSafePath, serverPath } from './parse.ts';
import type { InputSource, RunContext } from './source.ts';

/** The server's address as origin and path, without a trailing slash. */
export function readServerUrl(inputs: InputSource, ctx: RunContext): string {
  const raw = inputs.get('url') || cliSetting(ctx.env, 'ADDR');
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

/** The namespace path, empty for the root namespace. */
export function readNamespace(inputs: InputSource, ctx: RunContext): string {
  const raw = inputs.get('namespace') || cliSetting(ctx.env, 'NAMESPACE');
  const path = serverPath(raw);
  if (path && !isSafePath(path)) {
    throw new ConfigError(
      `namespace: "${raw}" is not a namespace path such as team-a or team-a/prod`,
    );
  }
  return path;
}
