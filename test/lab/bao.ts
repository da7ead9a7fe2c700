import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditRequests, auditStanza, writes, type AuditRequest } from './audit-log.ts';
import { rootApi, type ApiCall } from './bao-http.ts';
import { freePort, healthReached, spawnBao } from './bao-process.ts';
import { stop } from './processes.ts';

export type { AuditRequest } from './audit-log.ts';

/** An extra `listener "tcp"` with TLS; `clientCaFile` makes it demand a client certificate (mTLS). */
export interface TlsListener {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

export interface BaoOptions {
  tlsListeners?: TlsListener[];
}

export interface BaoServer {
  /** The dev listener, plain HTTP, which the root helper `api` uses. */
  address: string;
  /** One `https://127.0.0.1:port` per requested TLS listener, in order. */
  tlsAddresses: string[];
  token: string;
  pluginDir: string;
  /** Calls the HTTP API as root; throws on any status >= 300 except a 404 on GET, which returns null. */
  api: ApiCall;
  /** A mark in the audit log; `writesSince(mark)` lists every write after it. */
  auditMark(): Promise<number>;
  writesSince(mark: number): Promise<AuditRequest[]>;
  stop(): Promise<void>;
}

const START_TRIES = 3;
/** POSTs that the audit log records as updates but that change nothing. */
const ASKS_ONLY: ReadonlySet<string> = new Set(['sys/capabilities-self']);

/**
 * A real `bao server -dev` on a free loopback port, with its own plugin
 * directory and a file audit device, so tests can prove what was written.
 */
export async function startBao(options: BaoOptions = {}): Promise<BaoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-bao-'));
  const pluginDir = join(dir, 'plugins');
  const auditLog = join(dir, 'audit.log');
  await mkdir(pluginDir);
  const token = `lab-root-${randomBytes(12).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    const tlsPorts: number[] = [];
    for (const _ of options.tlsListeners ?? []) tlsPorts.push(await freePort());
    await writeFile(
      join(dir, 'config.hcl'),
      `plugin_directory = "${pluginDir}"\n${auditStanza(auditLog)}` +
        (options.tlsListeners ?? []).map((l, i) => tlsStanza(l, tlsPorts[i] ?? 0)).join(''),
    );
    const port = await freePort();
    const address = `http://127.0.0.1:${port}`;
    const { child, stderr } = spawnBao(
      [
        'server',
        '-dev',
        `-dev-root-token-id=${token}`,
        `-dev-listen-address=127.0.0.1:${port}`,
        `-config=${join(dir, 'config.hcl')}`,
      ],
      dir,
    );
    if (await healthReached(address, child, (status) => status === 200)) {
      return {
        address,
        tlsAddresses: tlsPorts.map((p) => `https://127.0.0.1:${p}`),
        token,
        pluginDir,
        api: rootApi(address, token),
        auditMark: async () => (await auditRequests(auditLog)).length,
        writesSince: async (mark) =>
          writes((await auditRequests(auditLog)).slice(mark)).filter((e) => !ASKS_ONLY.has(e.path)),
        stop: async () => {
          await stop(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stop(child);
    if (attempt >= START_TRIES)
      throw new Error(`bao server did not start on ${address}: ${stderr()}`);
  }
}

function tlsStanza(listener: TlsListener, port: number): string {
  const lines = [
    `  address = "127.0.0.1:${port}"`,
    `  tls_cert_file = "${listener.certFile}"`,
    `  tls_key_file = "${listener.keyFile}"`,
  ];
  if (listener.clientCaFile) {
    lines.push(`  tls_client_ca_file = "${listener.clientCaFile}"`);
    lines.push('  tls_require_and_verify_client_cert = true');
  }
  return `listener "tcp" {\n${lines.join('\n')}\n}\n`;
}
