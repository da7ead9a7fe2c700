import { VaultError } from '../domain/errors.ts';
import { fetchCapabilities } from '../vault/capabilities.ts';
import type { VaultClient } from '../vault/client.ts';

const CAPABILITY: Readonly<Record<string, string>> = {
  GET: 'read',
  PUT: 'update',
  POST: 'update',
  DELETE: 'delete',
};

/**
 * A refusal (403) after the preflight found every capability in place means
 * the token changed under the run: its policy was narrowed, or it was revoked.
 * Says which capability on which path it lacks now, asking the server what
 * the token still holds there; `null` for any other error.
 */
export async function explainRefusal(
  client: VaultClient,
  failure: unknown,
): Promise<string | null> {
  // A failed probe carries the refused read as its cause.
  const error =
    failure instanceof Error && !(failure instanceof VaultError) ? failure.cause : failure;
  if (!(error instanceof VaultError) || error.status !== 403) return null;
  const capability = CAPABILITY[error.method] ?? error.method;
  const path = error.path.split('?')[0] ?? error.path;
  const refusedAs = `${error.method} /v1/${path} answered 403`;
  try {
    const granted = await fetchCapabilities(client, [path]);
    const held = (granted.get(path) ?? []).filter((c) => c !== 'deny');
    return `permission: the token lacks "${capability}" on ${path} (${refusedAs}; it has ${held.length > 0 ? held.join(', ') : 'none'} there now): its policy changed during the run`;
  } catch {
    return `permission: the token lacks "${capability}" on ${path} (${refusedAs}) and may no longer ask what it holds: it was revoked or expired during the run`;
  }
}
