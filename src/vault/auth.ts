import type { AuthConfig } from '../inputs/login.ts';
import { AuthError, VaultError } from '../domain/errors.ts';
import type { Clock, VaultClient } from './client.ts';
import { backoffMs, type RetryPolicy } from './retry.ts';
import { mountRoute } from '../domain/plugin.ts';
import { routes } from './routes.ts';
import { githubIdToken } from '../github/oidc.ts';

export interface AuthDeps {
  /** Masks a secret in the log the moment it exists. */
  mask(value: string): void;
  getIDToken(audience?: string): Promise<string>;
  readFile(path: string): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}

export interface Session {
  client: VaultClient;
  /** True when this run created the token, and so must revoke it. */
  loggedIn: boolean;
  /** For the log and summary, never with a secret: e.g. `jwt at auth/github (role deployer)`. */
  description: string;
}

const ID_TOKEN_RETRY: RetryPolicy = { attempts: 4, baseMs: 500, capMs: 4000 };

interface LoginResponse {
  auth?: { client_token?: string };
}

export async function authenticate(
  base: VaultClient,
  auth: AuthConfig,
  deps: AuthDeps,
): Promise<Session> {
  if (auth.method === 'token') {
    return { client: base.withToken(auth.token), loggedIn: false, description: 'token' };
  }
  const at = mountRoute('auth', auth.mount);
  let body: Record<string, string>;
  let description: string;
  switch (auth.method) {
    case 'approle':
      body = { role_id: auth.roleId, secret_id: auth.secretId };
      description = `approle at ${at}`;
      break;
    case 'jwt':
      body = {
        role: auth.role,
        jwt: await githubIdToken(auth.audience, {
          ...deps,
          attempts: ID_TOKEN_RETRY.attempts,
          pause: (attempt) =>
            deps.clock.sleep(backoffMs(ID_TOKEN_RETRY, attempt, () => deps.clock.random())),
        }),
      };
      description = `jwt with the GitHub OIDC token at ${at}, role ${auth.role}`;
      break;
    case 'kubernetes':
      body = { role: auth.role, jwt: await serviceAccountToken(auth.tokenFile, deps) };
      description = `kubernetes at ${at}, role ${auth.role}`;
      break;
  }
  let response: LoginResponse | null;
  try {
    // A login is not repeated when its answer is lost: a single-use secret-id would be spent.
    response = await base.write<LoginResponse>('POST', routes.login(auth.mount), body);
  } catch (error) {
    if (error instanceof VaultError) {
      throw new AuthError(
        `login with ${description} failed: ${error.message}${loginHint(auth, error)}`,
      );
    }
    throw error;
  }
  const token = response?.auth?.client_token ?? '';
  if (!token) throw new AuthError(`login with ${description} returned no client token`);
  deps.mask(token);
  return { client: base.withToken(token), loggedIn: true, description };
}

/**
 * The kubernetes auth method answers a bare "permission denied" when the
 * cluster's TokenReview refuses the token, so say where to look.
 */
function loginHint(auth: AuthConfig, error: VaultError): string {
  if (
    auth.method === 'kubernetes' &&
    error.status === 403 &&
    error.serverErrors.join() === 'permission denied'
  ) {
    return ` (the Kubernetes API did not accept the service account token from ${auth.tokenFile}: expired, revoked, from another cluster, or not for the role's audience)`;
  }
  return '';
}

async function serviceAccountToken(file: string, deps: AuthDeps): Promise<string> {
  let token: string;
  try {
    token = (await deps.readFile(file)).trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new AuthError(
      `kubernetes-token-file: cannot read "${file}" (${reason}); is the runner a pod with a service account token mounted?`,
    );
  }
  if (!token) throw new AuthError(`kubernetes-token-file: "${file}" is empty`);
  deps.mask(token);
  return token;
}

/** Ends a token this run created, so nothing outlives the job; a failure only warns. */
export async function revokeSession(session: Session): Promise<string> {
  if (!session.loggedIn) return '';
  try {
    await session.client.write('POST', routes.revokeSelf, undefined, { repeatable: true });
    return '';
  } catch (error) {
    return `could not revoke the login token: ${error instanceof Error ? error.message : String(error)}`;
  }
}
