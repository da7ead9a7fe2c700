// Servers that send a client elsewhere, and a recorder of what reached it.
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request exactly as it arrived. */
export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface LabServer {
  url: string;
  /** `127.0.0.1:port`, as an error line names the host. */
  host: string;
  close(): Promise<void>;
}

export interface Recorder extends LabServer {
  received: Received[];
}

/** A certificate and key for 127.0.0.1, e.g. `makePki().server`. */
export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

/**
 * Another loopback origin that keeps every request it is sent — headers and
 * body, so a leaked token or login shows — and answers each like a server
 * that accepts anything, so a client that reached it would carry on sending.
 */
export async function startRecorder(): Promise<Recorder> {
  const received: Received[] = [];
  const server = createHttpServer((req, res) => {
    void readBody(req).then((body) => {
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return { ...(await listen(server, 'http')), received };
}

/**
 * Answers every request with a 307 to the same path on `to`, as a hostile or
 * misconfigured server (or a load balancer) might; over https with `tls`.
 */
export async function startRedirector(options: { to: string; tls?: TlsFiles }): Promise<LabServer> {
  const redirect: RequestListener = (req, res) => {
    req.resume();
    res.writeHead(307, { location: `${options.to}${req.url ?? '/'}` }).end();
  };
  const { tls } = options;
  if (!tls) return listen(createHttpServer(redirect), 'http');
  const server = createHttpsServer(
    { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) },
    redirect,
  );
  return listen(server, 'https');
}

/**
 * Passes every request on to an OpenBao standby with
 * `X-Vault-No-Request-Forwarding`, so the standby itself answers 307 to the
 * active node instead of forwarding the request inside the cluster: what a
 * client sees of a standby that does not forward.
 */
export async function startStandbyFront(standby: string): Promise<LabServer> {
  const target = new URL(standby);
  const server = createHttpServer((req, res) => {
    void readBody(req).then((body) => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host, 'x-vault-no-request-forwarding': 'true' },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  return listen(server, 'http');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

async function listen(server: Server, scheme: 'http' | 'https'): Promise<LabServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  return {
    url: `${scheme}://${host}`,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
