import type { InputSource, RunContext } from './config.ts';
import { ConfigError } from '../domain/errors.ts';
import { withoutAuthPrefix } from '../domain/plugin.ts';
import { booleanInput } from './parse.ts';

export type AuthConfig =
  | { method: 'token'; token: string }
  | { method: 'approle'; mount: string; roleId: string; secretId: string }
  | { method: 'jwt'; mount: string; role: string; audience: string }
  | { method: 'kubernetes'; mount: string; role: string; tokenFile: string };

export type AuthMethod = AuthConfig['method'];

/** PEM material as given: inline text, or a file path read when the connection is made. */
export interface PemSource {
  input: string;
  value: string;
}

export interface TransportConfig {
  ca: PemSource | null;
  clientCert: PemSource | null;
  clientKey: PemSource | null;
  skipVerify: boolean;
  /** The longest one server call may take, its retries included. */
  timeoutSeconds: number;
}

const METHODS: readonly AuthMethod[] = ['token', 'approle', 'jwt', 'kubernetes'];
const MOUNT_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
export const KUBERNETES_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function readAuthConfig(inputs: InputSource, ctx: RunContext): AuthConfig {
  const raw = inputs.get('method') || 'token';
  if (!(METHODS as readonly string[]).includes(raw)) {
    throw new ConfigError(`method: "${raw}" is not one of ${METHODS.join(', ')}`);
  }
  const method = raw as AuthMethod;
  if (method === 'token') {
    const token = inputs.secret('token') || envSecret(ctx, 'VAULT_TOKEN', 'BAO_TOKEN');
    if (!token) {
      throw new ConfigError('token: no token given; set the token input, VAULT_TOKEN or BAO_TOKEN');
    }
    return { method, token };
  }
  const mount = authMount(inputs.get('auth-path') || method);
  switch (method) {
    case 'approle': {
      const roleId = inputs.secret('role-id');
      const secretId = inputs.secret('secret-id');
      if (!roleId) throw new ConfigError('role-id: required with method approle, but empty');
      if (!secretId) throw new ConfigError('secret-id: required with method approle, but empty');
      return { method, mount, roleId, secretId };
    }
    case 'jwt':
      return {
        method,
        mount,
        role: requiredFor(inputs, 'role', method),
        audience: inputs.get('jwt-audience'),
      };
    case 'kubernetes':
      return {
        method,
        mount,
        role: requiredFor(inputs, 'role', method),
        tokenFile: inputs.get('kubernetes-token-file') || KUBERNETES_TOKEN_FILE,
      };
  }
}

export function readTransportConfig(inputs: InputSource, ctx: RunContext): TransportConfig {
  return {
    ca: pem(inputs, ctx, 'ca-certificate', ctx.env.VAULT_CACERT || ctx.env.BAO_CACERT),
    clientCert: pem(
      inputs,
      ctx,
      'client-certificate',
      ctx.env.VAULT_CLIENT_CERT || ctx.env.BAO_CLIENT_CERT,
    ),
    clientKey: pem(inputs, ctx, 'client-key', ctx.env.VAULT_CLIENT_KEY || ctx.env.BAO_CLIENT_KEY),
    skipVerify: booleanInput(
      'tls-skip-verify',
      inputs.get('tls-skip-verify'),
      envSkipVerify(ctx.env, 'VAULT_SKIP_VERIFY', 'BAO_SKIP_VERIFY'),
    ),
    timeoutSeconds: seconds('timeout', inputs.get('timeout') || '120'),
  };
}

function pem(
  inputs: InputSource,
  ctx: RunContext,
  name: string,
  fallback: string | undefined,
): PemSource | null {
  const isKey = name === 'client-key';
  const value = (isKey ? inputs.secret(name) : inputs.get(name)) || fallback || '';
  // The runner masks line by line, so a key given as PEM text is masked a line at a time too.
  if (isKey && value.includes('-----BEGIN')) {
    for (const line of value.split(/\r?\n/)) if (line.trim()) ctx.mask(line.trim());
  }
  return value.trim() ? { input: name, value: value.trim() } : null;
}

function envSecret(ctx: RunContext, ...names: string[]): string {
  for (const name of names) {
    const value = ctx.env[name]?.trim() ?? '';
    if (value) {
      ctx.mask(value);
      return value;
    }
  }
  return '';
}

function requiredFor(inputs: InputSource, name: string, method: AuthMethod): string {
  const value = inputs.get(name);
  if (!value) throw new ConfigError(`${name}: required with method ${method}, but empty`);
  return value;
}

function authMount(raw: string): string {
  const path = withoutAuthPrefix(raw.trim().replace(/^\/+|\/+$/g, ''));
  if (!MOUNT_PATH.test(path)) {
    throw new ConfigError(
      `auth-path: "${raw}" is not an auth mount path; use e.g. jwt, github-actions or auth/approle`,
    );
  }
  return path;
}

const GO_TRUE = ['1', 't', 'T', 'TRUE', 'true', 'True'];
const GO_FALSE = ['0', 'f', 'F', 'FALSE', 'false', 'False'];

/**
 * VAULT_SKIP_VERIFY (else BAO_SKIP_VERIFY) as Vault's and OpenBao's clients
 * read it, with Go's strconv.ParseBool: a shell profile that sets it for the
 * `vault` CLI means the same here, and what the CLI refuses is refused. Only
 * the environment is read this way; the input is a boolean input like any other.
 */
function envSkipVerify(env: RunContext['env'], ...names: string[]): boolean {
  const name = names.find((n) => env[n]) ?? '';
  const value = env[name] ?? '';
  if (value === '' || GO_FALSE.includes(value)) return false;
  if (GO_TRUE.includes(value)) return true;
  throw new ConfigError(
    `${name}: "${value}" is not a boolean as Vault reads it; use true or false (or 1, 0, t, f)`,
  );
}

function seconds(name: string, raw: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || value > 3600) {
    throw new ConfigError(`${name}: "${raw}" is not a whole number of seconds from 1 to 3600`);
  }
  return value;
}
