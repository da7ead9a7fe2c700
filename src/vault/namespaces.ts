import { VaultError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

/**
 * Every namespace has a mount table, so `sys/mounts` is missing only where the
 * namespace is: OpenBao answers 404 "namespace not found" there before it even
 * looks at the token. Any other answer, a refusal included, means it exists.
 */
export async function namespaceExists(client: VaultClient): Promise<boolean> {
  try {
    return (await client.read(routes.mountTable('secret'))) !== null;
  } catch (error) {
    if (error instanceof VaultError && error.status === 403) return true;
    throw error;
  }
}
