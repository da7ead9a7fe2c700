import { randomBytes } from 'node:crypto';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ArtifactFacts } from '../../../src/artifact/facts.ts';
import { sha256File } from '../../../src/artifact/hash.ts';
import { inspectPluginFile, placePluginFile } from '../../../src/rollout/plugin-directory.ts';
import { readConfig } from '../../../src/inputs/config.ts';
import { planAgainst, readServer } from '../../../src/rollout/preflight.ts';
import { VaultClient } from '../../../src/vault/client.ts';

// Every file the action writes lands directly in the plugin directory, symlinks
// resolved: nothing planted there and no name a server sends can move a write
// outside it.

let root: string;
let plugins: string;
let outside: string;
let binary: string;
const servers: Server[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'unit-plugin-dir-'));
  plugins = join(root, 'plugins');
  outside = join(root, 'outside');
  await Promise.all([mkdir(plugins), mkdir(outside)]);
  binary = join(root, 'binary');
  await writeFile(binary, randomBytes(256 * 1024));
});

afterEach(async () => {
  for (const server of servers.splice(0)) server.close();
  await rm(root, { recursive: true, force: true });
});

/** A file someone else owns, outside the plugin directory. */
async function victim(name = 'victim'): Promise<string> {
  const path = join(outside, name);
  await writeFile(path, 'not yours\n');
  await chmod(path, 0o600);
  return path;
}

async function expectUntouched(path: string): Promise<void> {
  expect(await readFile(path, 'utf8')).toBe('not yours\n');
  expect((await stat(path)).mode & 0o777).toBe(0o600);
}

describe('placing the plugin file', () => {
  it('never writes through a symlink planted at a temporary name', async () => {
    const target = await victim();
    // The name a run with this process id used to write to first.
    await symlink(target, join(plugins, `.acme-v1.0.1.${String(process.pid)}.partial`));

    const placed = await placePluginFile(binary, plugins, 'acme-v1.0.1');

    await expectUntouched(target);
    expect(placed).toBe(join(plugins, 'acme-v1.0.1'));
    expect(await sha256File(placed)).toBe(await sha256File(binary));
    expect((await stat(placed)).mode & 0o777).toBe(0o755);
    expect((await readdir(plugins)).filter((name) => !name.startsWith('.acme-v1.0.1.'))).toEqual([
      'acme-v1.0.1',
    ]);
  });

  it('leaves no temporary file behind', async () => {
    await placePluginFile(binary, plugins, 'acme-v1.0.1');
    expect(await readdir(plugins)).toEqual(['acme-v1.0.1']);
  });

  it('writes into a plugin directory that is itself a symlink', async () => {
    const linked = join(root, 'linked-plugins');
    await symlink(plugins, linked);

    expect(await inspectPluginFile(linked, 'acme-v1.0.1')).toEqual({ present: false });
    expect(await placePluginFile(binary, linked, 'acme-v1.0.1')).toBe(join(linked, 'acme-v1.0.1'));
    expect(await sha256File(join(plugins, 'acme-v1.0.1'))).toBe(await sha256File(binary));
    expect(await inspectPluginFile(linked, 'acme-v1.0.1')).toEqual({
      present: true,
      sha256: await sha256File(binary),
    });
  });

  it('refuses a symlink at the command name that leads out, before reading or writing it', async () => {
    const target = await victim();
    await symlink(target, join(plugins, 'acme-v1.0.1'));

    await expect(inspectPluginFile(plugins, 'acme-v1.0.1')).rejects.toThrow(
      `plugin-directory: the command "acme-v1.0.1" is a symbolic link to ${target}; refusing to write outside "${plugins}"`,
    );
    await expect(placePluginFile(binary, plugins, 'acme-v1.0.1')).rejects.toThrow(
      'is a symbolic link to',
    );
    await expectUntouched(target);
  });

  it('refuses a command that reaches through a symlinked subdirectory', async () => {
    await symlink(outside, join(plugins, 'sub'));

    await expect(placePluginFile(binary, plugins, 'sub/acme-v1.0.1')).rejects.toThrow(
      'plugin-directory: the command "sub/acme-v1.0.1" is not a file name directly in the plugin directory',
    );
    expect(await readdir(outside)).toEqual([]);
  });
});

describe('a command taken from the server catalog', () => {
  /** A stand-in server whose catalog entry for acme v1.0.1 names `command`, with the artifact's hash. */
  async function serverNaming(command: string, sha256: string): Promise<VaultClient> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/v1\//, '');
        const answer: Record<string, unknown> = {
          'sys/capabilities-self': {
            data: Object.fromEntries(
              ((JSON.parse(body || '{}') as { paths?: string[] }).paths ?? []).map((p) => [
                p,
                ['root'],
              ]),
            ),
          },
          'sys/mounts': {
            data: {
              'acme/': {
                type: 'acme',
                plugin_version: 'v1.0.0',
                running_plugin_version: 'v1.0.0',
                running_sha256: 'a'.repeat(64),
              },
            },
          },
          'sys/plugins/catalog/secret/acme': {
            data: { name: 'acme', version: 'v1.0.1', sha256, command, builtin: false },
          },
        };
        const found = answer[path];
        res.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
        res.end(JSON.stringify(found ?? { errors: [] }));
      });
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new VaultClient({
      address: `http://127.0.0.1:${String(port)}`,
      token: 't',
      namespace: '',
    });
  }

  async function plan(command: string): Promise<unknown> {
    const sha256 = await sha256File(binary);
    const client = await serverNaming(command, sha256);
    const values: Record<string, string> = {
      url: client.address,
      token: 't',
      'plugin-name': 'acme',
      version: 'v1.0.1',
      artifact: 'acme_{version}_{os}_{arch}.zip',
      'github-token': 'ghs_x',
      'plugin-directory': plugins,
      mounts: 'acme',
    };
    const config = readConfig(
      { get: (name) => values[name] ?? '', secret: (name) => values[name] ?? '' },
      {
        env: {},
        eventName: 'push',
        eventInputs: {},
        ref: 'refs/heads/main',
        repository: 'acme/acme-plugin',
        apiUrl: 'https://api.github.com',
        nodePlatform: 'linux',
        nodeArch: 'x64',
        mask: () => undefined,
      },
    );
    const artifact = { sha256, binaryPath: binary } as ArtifactFacts;
    const reading = await readServer(client, config, {
      product: 'OpenBao',
      edition: 'community',
      version: '2.7.2',
      haRole: 'single node',
      leaderAddress: '',
      clusterId: '',
      clusterName: '',
      nodes: 1,
    });
    return planAgainst(client, config, reading, artifact);
  }

  it('is refused before any write when it climbs out of the plugin directory', async () => {
    await expect(plan('./../escaped')).rejects.toThrow(
      `plugin-directory: the command "./../escaped" is not a file name directly in the plugin directory; refusing to write outside "${plugins}"`,
    );
    await expect(placePluginFile(binary, plugins, './../escaped')).rejects.toThrow(
      'is not a file name directly in the plugin directory',
    );
    expect(await readdir(root)).not.toContain('escaped');
  });

  it('is used when it is a file name in the plugin directory', async () => {
    expect(await plan('acme-build-7')).toMatchObject({
      command: 'acme-build-7',
      pluginFile: 'copy',
    });
  });
});
