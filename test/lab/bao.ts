import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireBao } from './paths.ts';
import { stop, track } from './processes.ts';

export interface AuditRequest {
  operation: string;
  path: string;
}

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
  /** Calls the HTTP API as root; throws on any status >= 400 except a 404 on GET, which returns null. */
  api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T | null>;
  /** A mark in the audit log; `writesSince(mark)` lists every write after it. */
  auditMark(): Promise<number>;
  writesSince(mark: number): Promise<AuditRequest[]>;
  stop(): Promise<void>;
}

const READY_TRIES = 100;
/** POSTs that the audit log records as updates but that change nothing. */
const ASKS_ONLY: ReadonlySet<string> = new Set(['sys/capabilities-self']);
const START_TRIES = 3;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no loopback port');
  return address.port;
}

/**
 * A real `bao server -dev` on a free loopback port, with its own plugin
 * directory and a file audit device, so tests can prove what was written.
 */
export async function startBao(options: BaoOptions = {}): Promise<BaoServer> {
  const bao = requireBao();
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
      `plugin_directory = "${pluginDir}"\naudit "file" "lab" {\n  options {\n    file_path = "${auditLog}"\n  }\n}\n` +
        (options.tlsListeners ?? [])
          .map((listener, i) => tlsStanza(listener, tlsPorts[i] ?? 0))
          .join(''),
    );
    const port = await freePort();
    const address = `http://127.0.0.1:${port}`;
    const child = spawn(
      bao,
      [
        'server',
        '-dev',
        `-dev-root-token-id=${token}`,
        `-dev-listen-address=127.0.0.1:${port}`,
        `-config=${join(dir, 'config.hcl')}`,
      ],
      { env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    track(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const api = rootApi(address, token);
    if (await becameReady(address, child)) {
      return {
        address,
        tlsAddresses: tlsPorts.map((p) => `https://127.0.0.1:${p}`),
        token,
        pluginDir,
        api,
        auditMark: async () => (await auditEntries(auditLog)).length,
        writesSince: async (mark) =>
          (await auditEntries(auditLog))
            .slice(mark)
            .filter(
              (e) => ['create', 'update', 'delete'].includes(e.operation) && !ASKS_ONLY.has(e.path),
            ),
        stop: async () => {
          await stop(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stop(child);
    if (attempt >= START_TRIES)
      throw new Error(`bao server did not start on ${address}: ${stderr}`);
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

async function becameReady(address: string, child: ReturnType<typeof spawn>): Promise<boolean> {
  for (let i = 0; i < READY_TRIES; i++) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${address}/v1/sys/health`);
      if (response.status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return false;
}

function rootApi(address: string, token: string): BaoServer['api'] {
  return async <T>(method: string, path: string, body?: unknown): Promise<T | null> => {
    const response = await fetch(`${address}/v1/${path}`, {
      method,
      headers: { 'x-vault-token': token, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status === 404 && method === 'GET') return null;
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as T) : null;
  };
}

/** Request entries only: each API call appears once as a request and once as a response. */
async function auditEntries(file: string): Promise<AuditRequest[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const entries: AuditRequest[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const parsed = JSON.parse(line) as {
      type?: string;
      request?: { operation?: string; path?: string };
    };
    if (parsed.type === 'request') {
      entries.push({
        operation: parsed.request?.operation ?? '',
        path: parsed.request?.path ?? '',
      });
    }
  }
  return entries;
}
