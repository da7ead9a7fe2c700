// A throwaway CA with server and client certificates, for TLS and mTLS listeners.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueFromCa, selfSigned } from './openssl.ts';

export interface Pki {
  dir: string;
  caFile: string;
  caPem: string;
  server: { certFile: string; keyFile: string };
  client: { certFile: string; keyFile: string; certPem: string; keyPem: string };
  remove(): Promise<void>;
}

/**
 * A throwaway CA with a server certificate for 127.0.0.1 and for
 * vault.lab.test (see LAB_DOMAIN in proxy.ts), and a client certificate.
 */
export async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-pki-'));
  const at = (name: string): string => join(dir, name);
  await selfSigned({
    keyFile: at('ca.key'),
    certFile: at('ca.pem'),
    days: 2,
    subject: '/CN=lab test CA',
  });
  const issue = (name: string, subject: string, extensions: string): Promise<void> =>
    issueFromCa({ dir, name, subject, days: 2, extensions: extensions.trimEnd().split('\n') });
  await issue(
    'server',
    '/CN=127.0.0.1',
    'subjectAltName=IP:127.0.0.1,DNS:vault.lab.test\nextendedKeyUsage=serverAuth\n',
  );
  await issue('client', '/CN=rollout', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: at('ca.pem'),
    caPem: await readFile(at('ca.pem'), 'utf8'),
    server: { certFile: at('server.pem'), keyFile: at('server.key') },
    client: {
      certFile: at('client.pem'),
      keyFile: at('client.key'),
      certPem: await readFile(at('client.pem'), 'utf8'),
      keyPem: await readFile(at('client.key'), 'utf8'),
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
