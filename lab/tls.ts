// An https mirror with a self-signed certificate that redirects every request.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSigned } from './openssl.ts';

export interface RedirectingHttps {
  url: string;
  /** PEM of the self-signed certificate, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
  close(): Promise<void>;
}

/** An https server on loopback that redirects every request to `target`, as a misconfigured mirror might. */
export async function startRedirectingHttps(target: string): Promise<RedirectingHttps> {
  const dir = mkdtempSync(join(tmpdir(), 'lab-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await selfSigned({
    keyFile: key,
    certFile: cert,
    days: 1,
    subject: '/CN=127.0.0.1',
    extensions: ['subjectAltName=IP:127.0.0.1'],
  });
  const server: Server = createServer(
    { key: readFileSync(key), cert: readFileSync(cert) },
    (_req, res) => {
      res.writeHead(302, { location: target });
      res.end();
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile: cert,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
