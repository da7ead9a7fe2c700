/** Which server the run talks to, and in which namespace. */
import { ConfigError } from '../domain/errors.ts';
import { cliSetting } from './cli-environment.ts';
import { isSafePath, lineList, serverPath } from './parse.ts';
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

/**
 * The namespaces to roll, in order: `['']` for the root namespace alone.
 * Several, one a line (`#` comments allowed), roll the same mounts in each,
 * one namespace after another, within one run.
 */
export function readNamespaces(inputs: InputSource, ctx: RunContext): string[] {
  const raw = inputs.get('namespace') || cliSetting(ctx.env, 'NAMESPACE');
  const lines = raw.trim().includes('\n') ? lineList(raw) : [raw];
  const namespaces: string[] = [];
  for (const text of lines) {
    const path = serverPath(text);
    if (lines.length === 1) return [namespacePath(raw, path)];
    if (!path) {
      throw new ConfigError(
        `namespace: "${text}" is the root namespace, which is rolled in a run of its own, not with other namespaces`,
      );
    }
    if (namespaces.includes(path)) throw new ConfigError(`namespace: "${text}" is listed twice`);
    namespaces.push(namespacePath(text, path));
  }
  return namespaces.length > 0 ? namespaces : [''];
}

function namespacePath(raw: string, path: string): string {
  if (path && !isSafePath(path)) {
    throw new ConfigError(
      `namespace: "${raw}" is not a namespace path such as team-a or team-a/prod`,
    );
  }
  return path;
}
