// A loopback front for a registry that passes every request through and
// alters the blobs or manifests asked for by given digests on the way back:
// what a compromised mirror or cache could serve. Only the digest tells.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './forward.ts';

export interface TamperingFront {
  /** `127.0.0.1:port`, the registry as an image reference names it through the front. */
  host: string;
  close(): Promise<void>;
}

/**
 * The byte changed: in a gzipped layer, the header's OS field, which no
 * reader checks, so the layer still unpacks to the same files.
 */
export const ALTERED_OFFSET = 9;

/** The bytes the front serves in place of `original`. */
export function altered(original: Buffer): Buffer {
  const copy = Buffer.from(original);
  copy[ALTERED_OFFSET] = (copy[ALTERED_OFFSET] ?? 0) ^ 0xff;
  return copy;
}

export async function startTamperingFront(
  registry: string,
  digests: readonly string[],
): Promise<TamperingFront> {
  const upstream = new URL(registry);
  const server = createServer((req, res) => {
    forward(req, res, upstream, (answer, reply) => {
      const path = req.url ?? '';
      const alter =
        req.method === 'GET' &&
        answer.statusCode === 200 &&
        digests.some((d) => path.endsWith(`/blobs/${d}`) || path.endsWith(`/manifests/${d}`));
      if (!alter) return false;
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () =>
        reply.writeHead(200, answer.headers).end(altered(Buffer.concat(chunks))),
      );
      return true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
