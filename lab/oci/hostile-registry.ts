// A registry that answers every request with a Bearer challenge naming a
// token service of its choosing: a hostile or compromised registry trying
// to have a client's credential sent to another address on the network.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HostileRegistry {
  /** `127.0.0.1:port`, as an image reference names it. */
  host: string;
  close(): Promise<void>;
}

export async function startChallengingRegistry(realm: string): Promise<HostileRegistry> {
  const server = createServer((req, res) => {
    req.resume();
    res
      .writeHead(401, { 'www-authenticate': `Bearer realm="${realm}",service="registry"` })
      .end('{"errors":[{"code":"UNAUTHORIZED"}]}');
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
