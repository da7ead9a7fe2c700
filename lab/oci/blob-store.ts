// Another loopback host that a registry sends blob downloads on to, as
// ghcr.io sends them to its storage host: it serves the registry's stored
// blobs by their storage path and keeps every request it was sent, so a
// test sees whether a registry token or credential reached it.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

export interface BlobRequest {
  method: string;
  path: string;
  authorization: string;
}

export interface BlobStore {
  /** The origin the registry's redirect middleware names as its base URL. */
  url: string;
  host: string;
  requests: BlobRequest[];
  /**
   * From now on, a request without an Authorization header is answered 401
   * with a Bearer challenge of its own: a host that would take the
   * registry's token if a client sent it.
   */
  demandCredentials(on: boolean): void;
  close(): Promise<void>;
}

export async function startBlobStore(storage: () => string): Promise<BlobStore> {
  const requests: BlobRequest[] = [];
  let demanding = false;
  let origin = '';
  const server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? '/', 'http://blobs.invalid').pathname;
    const authorization = req.headers.authorization ?? '';
    requests.push({ method: req.method ?? '', path, authorization });
    if (demanding && !authorization) {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="${origin}/token",service="blob-store"`,
        })
        .end();
      return;
    }
    const root = storage();
    const file = join(root, decodeURIComponent(path));
    if (relative(root, file).split(sep).includes('..')) {
      res.writeHead(404).end();
      return;
    }
    void stat(file).then(
      (info) => {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': String(info.size),
        });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  origin = `http://${host}`;
  return {
    url: origin,
    host,
    requests,
    demandCredentials: (on) => (demanding = on),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
