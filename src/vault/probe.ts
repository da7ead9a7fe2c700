import type { PluginType } from '../domain/plugin.ts';
import { VerificationError } from '../domain/errors.ts';
import type { VaultClient } from './client.ts';
import { routes } from './routes.ts';

/** Reads a path served by the plugin itself: proof that the new process answers, not just that it is registered. */
export async function probeMount(
  client: VaultClient,
  type: PluginType,
  mount: string,
  probe: string,
): Promise<void> {
  const route = routes.probe(type, mount, probe);
  let answer: unknown;
  try {
    answer = await client.read(route);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new VerificationError(`probe: ${detail}`, { cause: error });
  }
  if (answer === null) throw new VerificationError(`probe: GET /v1/${route.path} answered 404`);
}
