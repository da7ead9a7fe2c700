// A proxy in front of a real server that changes the server just before a chosen request.
import { request as forward, createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Without `/v1/` and the query: `sys/mounts/acme/tune`. */
  path: string;
}

export interface Meddler {
  /** `http://127.0.0.1:port`, to give the action as its `url`. */
  url: string;
  /** Every request that passed, in arrival order. */
  seen: ProxiedRequest[];
  /** Whether `act` ran. */
  acted(): boolean;
  close(): Promise<void>;
}

/**
 * A loopback proxy in front of a real server that, on the first request
 * `when` picks, first runs `act` against the server — a person or another
 * job changing it at that moment — and then lets the request through, so
 * the real server answers it in the changed state.
 */
export async function startMeddler(
  upstream: string,
  when: (request: ProxiedRequest, seen: readonly ProxiedRequest[]) => boolean,
  act: () => Promise<void>,
): Promise<Meddler> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const seen: ProxiedRequest[] = [];
  let acted = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const entry = { method: req.method ?? 'GET', path: url.pathname.replace(/^\/v1\//, '') };
    void (async () => {
      const body = await readBody(req);
      if (!acted && when(entry, seen)) {
        acted = true;
        await act();
      }
      seen.push(entry);
      const upstreamRequest = forward(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstreamRequest.on('error', () => res.destroy());
      upstreamRequest.end(body);
    })();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return {
    url: `http://127.0.0.1:${String(address.port)}`,
    seen,
    acted: () => acted,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
