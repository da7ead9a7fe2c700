import { execFile } from 'node:child_process';
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
