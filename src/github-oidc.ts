import { webGet } from './web.ts';

/**
 * Asks the runner's token service for a GitHub OIDC token, as
 * `@actions/core`'s getIDToken does, but over the action's own HTTP stack:
 * core's client would bring a second one into the start-up. The caller
 * retries and masks.
 */
export async function requestIdToken(
  env: Readonly<Record<string, string | undefined>>,
  audience?: string,
): Promise<string> {
  const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL ?? '');
  if (audience) url.searchParams.set('audience', audience);
  const response = await webGet(url, {
    accept: 'application/json',
    authorization: `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN ?? ''}`,
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Error(`the token service answered ${String(response.statusCode)}`);
  }
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown } | null)?.value;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'string' || !value) {
    throw new Error('the token service answered without a token');
  }
  return value;
}
