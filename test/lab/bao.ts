import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auditRequests, auditStanza, writes, type AuditRequest } from './audit-log.ts';
import { rootApi, type ApiCall } from './bao-http.ts';
import { freePort, healthReached, spawnBao } from './bao-process.ts';
import { stop } from './processes.ts';

export type { AuditRequest } from './audit-log.ts';

export interface BaoServer {
  address: string;
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

/**
 * A real `bao server -dev` on a free loopback port, with its own plugin
 * directory and a file audit device, so tests can prove what was written.
 */
export async function startBao(): Promise<BaoServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-bao-'));
  const pluginDir = join(dir, 'plugins');
  const auditLog = join(dir, 'audit.log');
  await mkdir(pluginDir);
  await writeFile(
    join(dir, 'config.hcl'),
    `plugin_directory = "${pluginDir}"\n${auditStanza(auditLog)}`,
  );
  const token = `lab-root-${randomBytes(12).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
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
        token,
        pluginDir,
        api: rootApi(address, token),
        auditMark: async () => (await auditRequests(auditLog)).length,
        writesSince: async (mark) => writes((await auditRequests(auditLog)).slice(mark)),
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
