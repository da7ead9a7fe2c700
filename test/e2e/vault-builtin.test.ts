import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { provenRows } from '../../lab/evidence.ts';
import { fixtureBinary, vaultKvPlugin } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { catalogEntry, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_builtinlab';
/** HashiCorp's kv build, registered under a version of our own as the 1.12 upgrade guide does. */
const OVERRIDE = 'v0.25.1';

let github: ReleaseServer;
const servers: LabServer[] = [];

beforeAll(async () => {
  github = await startReleaseServer({ token: GITHUB_TOKEN });
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'totp',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  await github.close();
});

async function server(): Promise<LabServer> {
  const started = await startServer(SERVER);
  servers.push(started);
  return started;
}

function run(server: LabServer, inputs: Record<string, string>, ref = ''): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    ...(ref ? { ref } : {}),
    inputs: { url: server.address, token: server.token, 'github-token': GITHUB_TOKEN, ...inputs },
  });
}

interface MountConfig {
  type: string;
  plugin_version: string;
  running_plugin_version: string;
  running_sha256: string;
  [setting: string]: unknown;
}

/** Everything the server keeps about a mount, without what only says which request answered. */
async function mountConfig(server: LabServer, path: string): Promise<MountConfig> {
  const raw = await server.api<{ data: MountConfig }>('GET', `sys/mounts/${path}`);
  if (!raw) throw new Error(`no mount ${path}`);
  return raw.data;
}

async function readSecret(server: LabServer, name: string): Promise<unknown> {
  const answer = await server.api<{ data: { data: unknown } }>('GET', `secret/data/${name}`);
  return answer?.data.data;
}

async function builtinVersion(server: LabServer, name: string): Promise<string> {
  const entry = await server.api<{ data: { version: string } }>(
    'GET',
    `sys/plugins/catalog/secret/${name}`,
  );
  return entry?.data.version ?? '';
}

describe('overriding a builtin and going back', () => {
  it('refuses to override kv before any write: the server would keep serving its own kv', async () => {
    const vault = await server();
    await vault.api('PUT', 'secret/data/before', { data: { a: 'before' } });
    const before = await mountConfig(vault, 'secret');
    const mark = await vault.auditMark();

    const result = await run(vault, {
      'plugin-name': 'kv',
      artifact: vaultKvPlugin(),
      sha256: await sha256File(vaultKvPlugin()),
      version: OVERRIDE,
      mounts: 'secret',
      'plugin-directory': vault.pluginDir,
    });

    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `secret plugin kv: ${vault.product} serves kv mounts with its own builtin code whatever version they are tuned to (it refuses to enable kv at a non-builtin version), so ${OVERRIDE} would be registered and never started; release the build under a plugin name of its own and mount that`,
    ]);
    expect(await vault.writesSince(mark)).toEqual([]);
    expect(existsSync(join(vault.pluginDir, `kv-${OVERRIDE}`))).toBe(false);
    expect(await mountConfig(vault, 'secret')).toEqual(before);
    expect(await readSecret(vault, 'before')).toEqual({ a: 'before' });
  });

  it('takes a kv mount tuned to an override by hand back to the builtin, its data and configuration kept', async () => {
    const vault = await server();
    await vault.api('PUT', 'secret/data/before', { data: { a: 'before' } });
    const before = await mountConfig(vault, 'secret');
    const builtin = await builtinVersion(vault, 'kv');
    // The operator's override, by the upgrade guide: binary in the plugin directory,
    // registered under kv at a version of its own, the mount tuned to it and reloaded.
    await copyFile(vaultKvPlugin(), join(vault.pluginDir, `kv-${OVERRIDE}`));
    await vault.api('PUT', 'sys/plugins/catalog/secret/kv', {
      sha256: await sha256File(vaultKvPlugin()),
      command: `kv-${OVERRIDE}`,
      version: OVERRIDE,
    });
    await vault.api('POST', 'sys/mounts/secret/tune', { plugin_version: OVERRIDE });
    await vault.api('PUT', 'sys/plugins/reload/backend', { mounts: ['secret'] });
    const overridden = await mountConfig(vault, 'secret');
    // No plugin process serves it: no hash. (Vault names the tuned version as running; OpenBao its builtin.)
    expect(overridden).toMatchObject({ plugin_version: OVERRIDE, running_sha256: '' });
    await vault.api('PUT', 'secret/data/during', { data: { a: 'during' } });

    const result = await run(vault, {
      'plugin-name': 'kv',
      mounts: 'secret',
      'revert-to-builtin': 'true',
    });

    expect(result.exitCode, result.log).toBe(0);
    expect(provenRows(result).map((r) => [r.mount, r.result, r.evidence])).toEqual([
      ['secret', 'updated', ['builtin']],
    ]);
    expect(await readSecret(vault, 'before')).toEqual({ a: 'before' });
    expect(await readSecret(vault, 'during')).toEqual({ a: 'during' });
    const after = await mountConfig(vault, 'secret');
    // A tune cannot store an empty version; the server treats its builtin version as the same
    // thing (Vault rewrites it to empty when it next loads the mount table).
    expect(after).toEqual({ ...before, plugin_version: builtin });
    expect(before.plugin_version).toBe('');
    expect(await catalogEntry(vault, 'secret', 'kv', OVERRIDE)).toBeNull();
    expect(result.log).toContain(`deregistered secret plugin kv ${OVERRIDE}`);
  });

  it('overrides totp with a build that really runs, proven by its hash, and goes back to the builtin', async () => {
    const vault = await server();
    await vault.api('POST', 'sys/mounts/totp-lab', { type: 'totp' });
    const before = await mountConfig(vault, 'totp-lab');
    const builtin = await builtinVersion(vault, 'totp');

    const over = await run(
      vault,
      {
        'plugin-name': 'totp',
        artifact: assetTemplate('totp', 'zip'),
        'plugin-directory': vault.pluginDir,
        mounts: 'totp-lab',
      },
      'refs/tags/v1.0.1',
    );

    expect(over.exitCode, over.log).toBe(0);
    expect(await liveMount(vault, 'secret', 'totp-lab')).toMatchObject({
      runningVersion: 'v1.0.1',
      runningSha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    });
    expect(provenRows(over)[0]?.evidence).toEqual(['sha256']);
    expect(await vault.api('GET', 'totp-lab/info')).not.toBeNull();

    const back = await run(vault, {
      'plugin-name': 'totp',
      mounts: 'totp-lab',
      'revert-to-builtin': 'true',
    });

    expect(back.exitCode, back.log).toBe(0);
    expect(provenRows(back)[0]?.evidence).toEqual(['builtin']);
    expect(back.summary).toContain('| builtin, no hash | ✅ updated |');
    expect(await mountConfig(vault, 'totp-lab')).toEqual({ ...before, plugin_version: builtin });
  });
});
