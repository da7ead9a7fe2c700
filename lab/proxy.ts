// A CONNECT-only forward proxy, and the lab.test names that route loopback traffic through it.
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface Proxy {
  url: string;
  /** `host:port` of every CONNECT tunnel opened, in order. */
  tunnels: string[];
  close(): Promise<void>;
}

/**
 * Names under this domain stand for this machine when asked of the proxy.
 * Clients never send loopback addresses to a proxy, so a test that wants
 * traffic to go through one names its loopback server this way.
 */
export const LAB_DOMAIN = 'lab.test';

/** `url` with its host renamed `<name>.lab.test`, reachable only through the lab's proxy. */
export function viaLabName(url: string, name: string): string {
  const { host, hostname } = new URL(url);
  return url.replace(host, host.replace(hostname, `${name}.${LAB_DOMAIN}`));
}

/** A loopback forward proxy that only tunnels (CONNECT), as corporate HTTPS proxies do. */
export async function startProxy(): Promise<Proxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    tunnels.push(target);
    const [host = '', port = ''] = target.split(':');
    const address = host.endsWith(`.${LAB_DOMAIN}`) ? '127.0.0.1' : host;
    const upstream = connect(Number(port), address, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    tunnels,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
