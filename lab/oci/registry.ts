// The CNCF distribution registry (built by test/lab/setup.sh into .lab/oci)
// on a free loopback port with its own storage: anonymous, or with token
// auth against the lab's token service, and optionally sending blob
// downloads on to another host, as registries backed by object storage do.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAB_DIR } from '../paths.ts';
import { stop, track } from '../processes.ts';
import { freePort } from '../server-process.ts';
import type { TokenService } from './token-service.ts';

export interface RegistryOptions {
  /** Token auth: every request needs a bearer token from this service. */
  tokens?: TokenService;
  /** Blob downloads answer 307 to this origin, with the blob's storage path. */
  redirectBlobsTo?: string;
}

export interface Registry {
  /** `127.0.0.1:port`, as an image reference names the registry: the token service's front with token auth. */
  host: string;
  url: string;
  /** The filesystem driver's root: blobs lie under docker/registry/v2/blobs. */
  storage: string;
  stop(): Promise<void>;
}

const READY_TRIES = 100;
const START_TRIES = 3;

/** A lab binary built from lab/oci by test/lab/setup.sh. */
export function ociTool(name: 'registry' | 'crane'): string {
  const path = join(LAB_DIR, 'oci', name);
  if (!existsSync(path)) {
    throw new Error(`lab file ${path} is missing; run "npm run lab" (test/lab/setup.sh) first`);
  }
  return path;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), 'lab-registry-'));
  const storage = join(dir, 'storage');
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const config = join(dir, 'config.yml');
    await writeFile(config, configuration(port, storage, options));
    const child = spawn(ociTool('registry'), ['serve', config], {
      cwd: dir,
      // Tracing off: the registry would otherwise try an OTLP collector.
      env: { PATH: process.env.PATH ?? '', HOME: dir, OTEL_TRACES_EXPORTER: 'none' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    track(child);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const direct = `http://127.0.0.1:${port}`;
    if (await answers(direct, () => child.exitCode !== null)) {
      options.tokens?.serveFor(direct);
      const host = options.tokens?.host ?? `127.0.0.1:${port}`;
      return {
        host,
        url: `http://${host}`,
        storage,
        stop: async () => {
          await stop(child);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stop(child);
    if (attempt >= START_TRIES) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`the registry did not start on ${direct}: ${stderr}`);
    }
  }
}

/** The registry's configuration; JSON is YAML, so no YAML writer is needed. */
function configuration(port: number, storage: string, options: RegistryOptions): string {
  const config: Record<string, unknown> = {
    version: 0.1,
    log: { level: 'error', accesslog: { disabled: true } },
    storage: {
      filesystem: { rootdirectory: storage },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret: 'lab-registry-upload-state' },
  };
  if (options.tokens) {
    config.auth = {
      token: {
        realm: options.tokens.realm,
        service: options.tokens.service,
        issuer: options.tokens.issuer,
        jwks: options.tokens.jwksFile,
      },
    };
  }
  if (options.redirectBlobsTo) {
    config.middleware = {
      storage: [{ name: 'redirect', options: { baseurl: options.redirectBlobsTo } }],
    };
  }
  return JSON.stringify(config, null, 2);
}

/** Polls the API's base until it answers (200 anonymous, 401 with token auth); false when the process exits or the tries run out. */
async function answers(url: string, exited: () => boolean): Promise<boolean> {
  for (let i = 0; i < READY_TRIES; i++) {
    if (exited()) return false;
    try {
      const response = await fetch(`${url}/v2/`);
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return false;
}
