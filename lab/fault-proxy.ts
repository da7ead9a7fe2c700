// A reverse proxy in front of a real server that breaks one chosen request.
import { Agent, request as forward, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';

/**
 * What can go wrong with one request on its way to the server and back:
 * - `reset-before`: the connection drops before the request reaches the server;
 * - `503`, `429`, `412`: a sealed or overloaded node, a rate limit, a standby not caught up — the server never sees the request;
 * - `timeout`: the server applies the request but its answer never comes back; the client gives up;
 * - `reset-after`: the server applies the request and the connection drops before its answer reaches the client.
 */
export const FAULTS = ['reset-before', '503', '429', '412', 'timeout', 'reset-after'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * A server that stays unreachable from request `at` on, until `heal`:
 * - `down-reset`: every connection is reset as soon as a request arrives;
 * - `down-silent`: a black hole; requests are taken and never answered.
 */
export const OUTAGES = ['down-reset', 'down-silent'] as const;
export type Outage = (typeof OUTAGES)[number];

export interface SeenRequest {
  method: string;
  path: string;
}

/** Runs before request `at` is forwarded, to change the server under a running rollout. */
export type Meddle = (request: SeenRequest) => Promise<void>;

export interface FaultProxy {
  /** `http://127.0.0.1:port`, to give the action as its `url`. */
  url: string;
  /**
   * Starts counting requests from 1 again and injects `fault` into request
   * number `at` only, so the retry that follows reaches the real server.
   * `meddle` runs instead of (or as well as) the fault, before request `at` goes on.
   */
  arm(at: number, fault: Fault | Outage | null, meddle?: Meddle): void;
  /** Ends an outage: the requests that follow reach the server again. */
  heal(): void;
  /** Every request since the last `arm`, in arrival order. */
  seen: SeenRequest[];
  /** Whether the armed request arrived and was tampered with. */
  fired(): boolean;
  close(): Promise<void>;
}

const STATUS_TEXT: Record<'503' | '429' | '412', string> = {
  '503': 'Vault is sealed',
  '429': 'rate limit quota exceeded',
  '412': 'required index state not present',
};

/** A loopback reverse proxy in front of one real server that breaks exactly one request when asked. */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();
  let armed: { at: number; fault: Fault | Outage | null; meddle: Meddle | undefined } = {
    at: 0,
    fault: null,
    meddle: undefined,
  };
  let fired = false;
  let healed = false;
  const seen: SeenRequest[] = [];
  const held = new Set<Socket>();

  const server = createServer((req, res) => {
    const entry = { method: req.method ?? 'GET', path: req.url ?? '/' };
    seen.push(entry);
    const n = seen.length;
    void (async () => {
      const body = await readBody(req);
      const down = !healed && n > armed.at && armed.at > 0 && isOutage(armed.fault);
      if (down) {
        if (armed.fault === 'down-reset') req.socket.destroy();
        else held.add(req.socket);
        return;
      }
      if (n !== armed.at) {
        pass(req, res, body, target, agent, null);
        return;
      }
      fired = true;
      if (armed.meddle) await armed.meddle(entry);
      switch (armed.fault) {
        case null:
          pass(req, res, body, target, agent, null);
          return;
        case 'reset-before':
        case 'down-reset':
          req.socket.destroy();
          return;
        case 'down-silent':
          held.add(req.socket);
          return;
        case '503':
        case '429':
        case '412':
          res.writeHead(Number(armed.fault), { 'content-type': 'application/json' });
          res.end(JSON.stringify({ errors: [STATUS_TEXT[armed.fault]] }));
          return;
        case 'timeout':
        case 'reset-after':
          pass(req, res, body, target, agent, armed.fault);
          return;
      }
    })().catch(() => req.socket.destroy());
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    seen,
    arm(at, fault, meddle) {
      seen.length = 0;
      fired = false;
      healed = false;
      armed = { at, fault, meddle };
    },
    heal() {
      healed = true;
      // Whatever the black hole swallowed is dropped, as a network that comes back drops it.
      for (const socket of held) socket.destroy();
      held.clear();
    },
    fired: () => fired,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}

function isOutage(fault: Fault | Outage | null): fault is Outage {
  return (OUTAGES as readonly string[]).includes(fault ?? '');
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/**
 * Forwards the request and relays the answer — or, for `timeout` and
 * `reset-after`, lets the server apply it and then withholds the answer.
 */
function pass(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  target: URL,
  agent: Agent,
  lose: 'timeout' | 'reset-after' | null,
): void {
  const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
  const upstream = forward(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    },
    (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.once('end', () => {
        // A timeout keeps the client's connection open and silent until the client gives up.
        if (lose === 'timeout') return;
        if (lose === 'reset-after') {
          req.socket.destroy();
          return;
        }
        const relayed = { ...answer.headers };
        delete relayed['transfer-encoding'];
        res.writeHead(answer.statusCode ?? 502, relayed);
        res.end(Buffer.concat(chunks));
      });
    },
  );
  upstream.once('error', () => req.socket.destroy());
  upstream.end(body);
}
