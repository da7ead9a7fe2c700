import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { selfSigned } from './openssl.ts';

const run = promisify(execFile);

export interface Pki {
  dir: string;
  caFile: string;
  caPem: string;
  server: { certFile: string; keyFile: string };
  client: { certFile: string; keyFile: string; certPem: string; keyPem: string };
  remove(): Promise<void>;
}

/** A throwaway CA with a server certificate for 127.0.0.1 (IP SAN) and a client certificate. */
export async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-pki-'));
  const at = (name: string): string => join(dir, name);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: dir });
  await selfSigned({
    keyFile: at('ca.key'),
    certFile: at('ca.pem'),
    days: 2,
    subject: '/CN=lab test CA',
  });
  const issue = async (name: string, subject: string, extensions: string): Promise<void> => {
    await openssl(
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      at(`${name}.key`),
      '-out',
      at(`${name}.csr`),
      '-subj',
      subject,
    );
    await writeFile(at(`${name}.ext`), extensions);
    await openssl(
      'x509',
      '-req',
      '-in',
      at(`${name}.csr`),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      at(`${name}.pem`),
      '-extfile',
      at(`${name}.ext`),
    );
  };
  await issue(
    'server',
    '/CN=127.0.0.1',
    'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
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
