import { chmod, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

// The action writes only directly inside plugin-directory, symlinks resolved,
// on a real OpenBao server whose plugin directory a symlink may point to.

const GITHUB_TOKEN = 'ghs_plugindirlab';

let bao: LabServer;
let github: ReleaseServer;
let elsewhere: string;

beforeAll(async () => {
  [bao, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  elsewhere = await mkdtemp(join(tmpdir(), 'lab-elsewhere-'));
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(bao, 'secret', 'acme', 'acme', 'v1.0.0');
  for (const version of ['v1.0.1', 'v1.1.0']) {
    github.publish(
      pluginRelease({ server: SERVER, name: 'acme', kind: 'secrets', version, format: 'zip' }),
    );
  }
});

afterAll(async () => {
  await Promise.all([bao.stop(), github.close()]);
  await rm(elsewhere, { recursive: true, force: true });
});

function rollout(version: string, pluginDirectory: string | null): Promise<RunResult> {
  return runAction({
    ref: `refs/tags/${version}`,
    apiUrl: github.apiUrl,
    inputs: {
      url: bao.address,
      token: bao.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: assetTemplate('acme', 'zip'),
      ...(pluginDirectory === null ? {} : { 'plugin-directory': pluginDirectory }),
      mounts: 'acme',
    },
  });
}

describe('the plugin directory', () => {
  it('may be a symlink to the server plugin directory', async () => {
    const linked = join(elsewhere, 'plugins');
    await symlink(bao.pluginDir, linked);

    const run = await rollout('v1.0.1', linked);

    expect(run.exitCode, run.log).toBe(0);
    expect(run.log).toContain(`placed ${join(linked, 'acme-v1.0.1')}`);
    const sha = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
    expect(await sha256File(join(bao.pluginDir, 'acme-v1.0.1'))).toBe(sha);
    expect((await stat(join(bao.pluginDir, 'acme-v1.0.1'))).mode & 0o777).toBe(0o755);
    expect(await liveMount(bao, 'secret', 'acme')).toMatchObject({ runningSha256: sha });
  });

  it('without plugin-directory, names the file the server lacks, asks once and talks of no rollback', async () => {
    const before = await liveMount(bao, 'secret', 'acme');
    const mark = await bao.auditMark();

    const run = await rollout('v1.1.0', null);

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'plugin-directory: the server has no file acme-v1.1.0 in its plugin directory; give plugin-directory, or place the binary there first',
    ]);
    expect(run.log).toContain('::error title=Rollout failed::plugin-directory:');
    expect(run.outputs['rolled-back']).toBe('false');
    // The server refused the register: it holds no new entry, so no write is claimed.
    expect(run.summary).toContain(
      'stopped at the rollout stage. Nothing was written to the server.',
    );
    expect(run.outputs.changed).toBe('false');
    const writes = (await bao.writesSince(mark)).map((w) => w.path);
    expect(writes).toEqual([`sys/plugins/catalog/secret/acme`]);
    expect(await catalogEntry(bao, 'secret', 'acme', 'v1.1.0')).toBeNull();
    expect(await liveMount(bao, 'secret', 'acme')).toEqual(before);
  });

  it('refuses a symlink planted at the plugin file name that leads outside, before any write', async () => {
    const victim = join(elsewhere, 'victim');
    await writeFile(victim, 'not yours\n');
    await chmod(victim, 0o600);
    await symlink(victim, join(bao.pluginDir, 'acme-v1.1.0'));
    const mark = await bao.auditMark();

    const run = await rollout('v1.1.0', bao.pluginDir);

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `plugin-directory: the command "acme-v1.1.0" is a symbolic link to ${victim}; refusing to write outside "${bao.pluginDir}"`,
    ]);
    expect(await bao.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(bao, 'secret', 'acme', 'v1.1.0')).toBeNull();
    expect(await readFile(victim, 'utf8')).toBe('not yours\n');
    expect((await stat(victim)).mode & 0o777).toBe(0o600);
  });
});
