// A loopback front for a registry that passes every request through and
// alters one blob on the way back: what a compromised mirror or cache
// could serve. Only the blob's digest tells the difference.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forward } from './forward.ts';

export interface TamperingFront {
  /** `127.0.0.1:port`, the registry as an image reference names it through the front. */
  host: string;
  close(): Promise<void>;
}

/** The byte changed: a gzip header's OS field, which no reader checks, so the layer still unpacks. */
const ALTERED_OFFSET = 9;

export async function startTamperingFront(
  registry: string,
  blobDigest: string,
): Promise<TamperingFront> {
  const upstream = new URL(registry);
  const server = createServer((req, res) => {
    forward(req, res, upstream, (answer, reply) => {
      const altered =
        req.method === 'GET' &&
        answer.statusCode === 200 &&
        (req.url ?? '').endsWith(`/blobs/${blobDigest}`);
      if (!altered) return false;
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        const body = Buffer.concat(chunks);
        body[ALTERED_OFFSET] = (body[ALTERED_OFFSET] ?? 0) ^ 0xff;
        reply.writeHead(200, answer.headers).end(body);
      });
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
