/** How the action logs in to the server: a token, or a login at an auth method. */
import { ConfigError } from '../domain/errors.ts';
import { withoutAuthPrefix } from '../domain/plugin.ts';
import { cliToken } from './cli-environment.ts';
import { oneOf, required, serverPath } from './parse.ts';
import type { InputSource, RunContext } from './source.ts';

export type AuthConfig =
  | { method: 'token'; token: string }
  | { method: 'approle'; mount: string; roleId: string; secretId: string }
  | { method: 'jwt'; mount: string; role: string; audience: string }
  | { method: 'kubernetes'; mount: string; role: string; tokenFile: string };

type AuthMethod = AuthConfig['method'];

const METHODS: readonly AuthMethod[] = ['token', 'approle', 'jwt', 'kubernetes'];
const MOUNT_PATH = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const KUBERNETES_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export function readAuthConfig(inputs: InputSource, ctx: RunContext): AuthConfig {
  const method = oneOf('method', inputs.get('method') || 'token', METHODS);
  if (method === 'token') {
    const token = inputs.secret('token') || cliToken(ctx);
    if (!token) {
      throw new ConfigError('token: no token given; set the token input, VAULT_TOKEN or BAO_TOKEN');
    }
    return { method, token };
  }
  const mount = authMount(inputs.get('auth-path') || method);
  const when = `with method ${method}`;
  switch (method) {
    case 'approle': {
      // Both are read, and so masked, before either is checked.
      const roleId = inputs.secret('role-id');
      const secretId = inputs.secret('secret-id');
      return {
        method,
        mount,
        roleId: required('role-id', roleId, when),
        secretId: required('secret-id', secretId, when),
      };
    }
    case 'jwt':
      return {
        method,
        mount,
        role: required('role', inputs.get('role'), when),
        audience: inputs.get('jwt-audience'),
      };
    case 'kubernetes':
      return {
        method,
        mount,
        role: required('role', inputs.get('role'), when),
        tokenFile: inputs.get('kubernetes-token-file') || KUBERNETES_TOKEN_FILE,
      };
  }
}

/** The auth method's mount, with or without the `auth/` the server's paths put before it. */
function authMount(raw: string): string {
  const path = withoutAuthPrefix(serverPath(raw));
  if (!MOUNT_PATH.test(path)) {
    throw new ConfigError(
      `auth-path: "${raw}" is not an auth mount path; use e.g. jwt, github-actions or auth/approle`,
    );
  }
  return path;
}
