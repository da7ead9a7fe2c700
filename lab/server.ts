// A real OpenBao or Vault dev server on loopback, with its own plugin directory and audit log.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  auditRequests,
  auditStanza,
  enableFileAudit,
  writes,
  type AuditRequest,
} from './audit-log.ts';
import { SERVER_KINDS, type ServerKind } from './paths.ts';
import { rootApi, type ApiCall } from './server-http.ts';
import { freePort, healthReached, spawnServer } from './server-process.ts';
import { stop } from './processes.ts';

export type { AuditRequest } from './audit-log.ts';
export type { ServerKind } from './paths.ts';

/** An extra `listener "tcp"` with TLS; `clientCaFile` makes it demand a client certificate (mTLS). */
export interface TlsListener {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
}

export interface ServerOptions {
  tlsListeners?: TlsListener[];
}

export interface LabServer {
  kind: ServerKind;
  /** As the action's summary names the server, e.g. `OpenBao 2.7.2` or `Vault 1.21.0`. */
  product: string;
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
const PRODUCT: Record<ServerKind, string> = { openbao: 'OpenBao', vault: 'Vault' };

/**
 * The server the end-to-end tests run against, from LAB_SERVER, which each
 * e2e project of vitest.config.ts sets; every scenario runs once per server.
 */
export function serverUnderTest(): ServerKind {
  const kind = process.env.LAB_SERVER;
  const known = SERVER_KINDS.find((k) => k === kind);
  if (!known) {
    throw new Error(
      `LAB_SERVER is ${JSON.stringify(kind ?? '')}; run the e2e tests through vitest.config.ts, whose projects set it to ${SERVER_KINDS.join(' or ')}`,
    );
  }
  return known;
}

/**
 * A real `bao server -dev` or `vault server -dev` on a free loopback port,
 * with its own plugin directory and a file audit device, so tests can prove
 * what was written. OpenBao reads the audit device from its configuration;
 * Vault cannot, so it is enabled through the API before the server is handed
 * out.
 */
export async function startServer(
  kind: ServerKind,
  options: ServerOptions = {},
): Promise<LabServer> {
  const dir = await mkdtemp(join(tmpdir(), `lab-${kind}-`));
  const pluginDir = join(dir, 'plugins');
  const auditLog = join(dir, 'audit.log');
  await mkdir(pluginDir);
  const token = `lab-root-${randomBytes(12).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    const tlsPorts: number[] = [];
    for (const _ of options.tlsListeners ?? []) tlsPorts.push(await freePort());
    await writeFile(
      join(dir, 'config.hcl'),
      `plugin_directory = "${pluginDir}"\n${kind === 'openbao' ? auditStanza(auditLog) : ''}` +
        (options.tlsListeners ?? []).map((l, i) => tlsStanza(l, tlsPorts[i] ?? 0)).join(''),
    );
    const port = await freePort();
    const address = `http://127.0.0.1:${port}`;
    const { child, stderr } = spawnServer(
      kind,
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
      const api = rootApi(address, token);
      const health = await (async () => {
        if (kind === 'vault') await enableFileAudit(api, auditLog);
        return api<{ version: string }>('GET', 'sys/health');
      })().catch(async (error: unknown) => {
        await stop(child);
        throw error;
      });
      return {
        kind,
        product: `${PRODUCT[kind]} ${health?.version ?? ''}`,
        address,
        tlsAddresses: tlsPorts.map((p) => `https://127.0.0.1:${p}`),
        token,
        pluginDir,
        api,
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
      throw new Error(`${kind} server did not start on ${address}: ${stderr()}`);
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
