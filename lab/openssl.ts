// Keys and certificates made with the machine's openssl.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SelfSigned {
  keyFile: string;
  certFile: string;
  subject: string;
  days: number;
  /** `-addext` values, e.g. `subjectAltName=IP:127.0.0.1`. */
  extensions?: readonly string[];
}

/** A P-256 key and a certificate signed by that key, made with the machine's openssl. */
export async function selfSigned(cert: SelfSigned): Promise<void> {
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    cert.keyFile,
    '-out',
    cert.certFile,
    '-days',
    String(cert.days),
    '-subj',
    cert.subject,
    ...(cert.extensions ?? []).flatMap((extension) => ['-addext', extension]),
  ]);
}

export interface Issued {
  /** Directory holding the CA's `ca.pem` and `ca.key`; the leaf's files are written there too. */
  dir: string;
  /** Base name of the leaf's files: `<name>.key`, `<name>.pem`. */
  name: string;
  subject: string;
  days: number;
  /** The lines of an openssl extensions file. */
  extensions: readonly string[];
}

/** A P-256 key and a certificate for it, signed by the CA in `dir`. */
export async function issueFromCa(leaf: Issued): Promise<void> {
  const at = (file: string): string => join(leaf.dir, file);
  const openssl = (...args: string[]): Promise<unknown> => run('openssl', args, { cwd: leaf.dir });
  await openssl(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    at(`${leaf.name}.key`),
    '-out',
    at(`${leaf.name}.csr`),
    '-subj',
    leaf.subject,
  );
  await writeFile(at(`${leaf.name}.ext`), `${leaf.extensions.join('\n')}\n`);
  await openssl(
    'x509',
    '-req',
    '-in',
    at(`${leaf.name}.csr`),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    String(leaf.days),
    '-out',
    at(`${leaf.name}.pem`),
    '-extfile',
    at(`${leaf.name}.ext`),
  );
}
