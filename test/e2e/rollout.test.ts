import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease, acmeRolloutInputs } from '../../lab/releases.ts';
import { runAction, type RunOptions, resultRows } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_labtoken0123456789abcdef';

let server: LabServer;
let github: ReleaseServer;
const sha = {
  secretsV100: '',
  secretsV101: '',
  secretsV101Republished: '',
  authV101: '',
};

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  sha.secretsV100 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.0'));
  sha.secretsV101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  sha.secretsV101Republished = await sha256File(
    fixtureBinary(SERVER, 'secrets', 'v1.0.1', 'republished'),
  );
  sha.authV101 = await sha256File(fixtureBinary(SERVER, 'auth', 'v1.0.1'));
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of ['acme', 'team-a/acme', 'other-acme']) {
    await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  }
  await installPlugin(server, 'auth', 'acme-auth', 'auth', 'v1.0.0');
  await enableMount(server, 'auth', 'acme-login', 'acme-auth', 'v1.0.0');
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.0',
      format: 'raw',
    }),
  );
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.1.0',
      format: 'zip',
    }),
  );
  github.publish(
    pluginRelease({
      server: SERVER,
      repo: 'acme-auth',
      name: 'acme-auth',
      kind: 'auth',
      version: 'v1.0.1',
      format: 'tar.gz',
    }),
  );
  github.publish(
    pluginRelease({
      server: SERVER,
      repo: 'acme-fork',
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      flavor: 'republished',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function secretRollout(
  overrides: Partial<RunOptions> = {},
  inputs: Record<string, string> = {},
): RunOptions {
  return {
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    ...overrides,
    inputs: {
      ...acmeRolloutInputs(server, GITHUB_TOKEN),
      'plugin-type': 'secret',
      mounts: 'acme\nteam-a/acme   # the nested one\n',
      ...inputs,
    },
  };
}

describe('a release rolls out to a real server', () => {
  it('moves two secret mounts to v1.0.1 and leaves an unlisted mount alone', async () => {
    const run = await runAction(secretRollout());

    expect(run.exitCode, run.stdout).toBe(0);
    for (const path of ['acme', 'team-a/acme']) {
      expect(await liveMount(server, 'secret', path)).toEqual({
        plugin: 'acme',
        version: 'v1.0.1',
        runningVersion: 'v1.0.1',
        runningSha256: sha.secretsV101,
      });
    }
    expect(await liveMount(server, 'secret', 'other-acme')).toMatchObject({
      version: 'v1.0.0',
      runningSha256: sha.secretsV100,
    });
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toEqual(
      expect.objectContaining({ sha256: sha.secretsV101, command: 'acme-v1.0.1' }),
    );
    expect(await sha256File(join(server.pluginDir, 'acme-v1.0.1'))).toBe(sha.secretsV101);
    expect(run.outputs).toMatchObject({
      version: 'v1.0.1',
      sha256: sha.secretsV101,
      command: 'acme-v1.0.1',
      changed: 'true',
    });
    expect(run.outputs['reload-id']).toMatch(/^[0-9a-f-]{36}$/);
    const rows = resultRows(run);
    expect(
      rows.map((r) => [
        r.mount,
        r.previous,
        r.target,
        r.running_version,
        r.running_sha256,
        r.result,
      ]),
    ).toEqual([
      ['acme', 'v1.0.0', 'v1.0.1', 'v1.0.1', sha.secretsV101, 'updated'],
      ['team-a/acme', 'v1.0.0', 'v1.0.1', 'v1.0.1', sha.secretsV101, 'updated'],
    ]);
    expect(run.summary).toContain('## ✅ Rolled out `acme` `v1.0.1`');
    expect(run.summary).toContain('| `team-a/acme/` | `v1.0.0` | `v1.0.1` | `v1.0.1` |');
    expect(run.summary).toContain('`acme_1.0.1_SHA256SUMS` confirms the archive');
    expect(run.summary).toContain(
      '- `acme/`, `team-a/acme/`: run [rollback.yml](https://github.com/acme/acme-plugin/actions/workflows/rollback.yml) with `version` `v1.0.0`',
    );
    expect(run.log).toContain('::notice title=Rolled out::acme v1.0.1 on 2 mount(s), verified');
    expect(run.masked).toEqual(expect.arrayContaining([server.token, GITHUB_TOKEN]));
    for (const text of [run.log, run.stderr, run.summary, JSON.stringify(run.outputs)]) {
      expect(text).not.toContain(server.token);
      expect(text).not.toContain(GITHUB_TOKEN);
    }
  });

  it('changes nothing when the same rollout runs again', async () => {
    const mark = await server.auditMark();
    const run = await runAction(secretRollout());

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(run.outputs.changed).toBe('false');
    expect(run.outputs['reload-id']).toBe('');
    expect(run.summary).toContain('## ➖ Unchanged: `acme` `v1.0.1` was already in place');
    expect(run.summary).toContain('nothing was written');
  });

  it('with step debug on, logs each server call without secrets; summary: false writes none', async () => {
    const run = await runAction(
      secretRollout({ env: { RUNNER_DEBUG: '1' } }, { summary: 'false' }),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.summary).toBe('');
    expect(run.log).toMatch(/^::debug::GET \/v1\/sys\/mounts → 200 in \d+ ms$/m);
    expect(run.log).toMatch(
      /^::debug::GET \/v1\/sys\/plugins\/catalog\/secret\/acme\?version=v1\.0\.1 → 200 in \d+ ms$/m,
    );
    expect(run.log).not.toContain(server.token);
    expect(run.log).not.toContain(GITHUB_TOKEN);
  });

  it('rolls back from workflow_dispatch to the version it names', async () => {
    const run = await runAction(
      secretRollout(
        {
          eventName: 'workflow_dispatch',
          event: { inputs: { version: 'v1.0.0' } },
          ref: 'refs/heads/main',
        },
        { artifact: assetTemplate('acme', 'raw') },
      ),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    for (const path of ['acme', 'team-a/acme']) {
      expect(await liveMount(server, 'secret', path)).toMatchObject({
        version: 'v1.0.0',
        runningVersion: 'v1.0.0',
        runningSha256: sha.secretsV100,
      });
    }
    expect(run.outputs).toMatchObject({
      version: 'v1.0.0',
      sha256: sha.secretsV100,
      changed: 'true',
    });
    expect(run.summary).toContain('already registered with this SHA-256');
  });

  it('moves an auth mount, given with or without its auth/ prefix', async () => {
    const run = await runAction({
      ref: 'refs/tags/v1.0.1',
      apiUrl: github.apiUrl,
      repository: 'acme/acme-auth',
      inputs: {
        url: server.address,
        token: server.token,
        'github-token': GITHUB_TOKEN,
        'plugin-type': 'auth',
        'plugin-name': 'acme-auth',
        artifact: assetTemplate('acme-auth', 'tar.gz'),
        'plugin-directory': server.pluginDir,
        mounts: 'auth/acme-login',
      },
    });

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'auth', 'acme-login')).toEqual({
      plugin: 'acme-auth',
      version: 'v1.0.1',
      runningVersion: 'v1.0.1',
      runningSha256: sha.authV101,
    });
    expect(run.summary).toContain('| `auth/acme-login` |');
  });
});

describe('nothing is written when a check fails', () => {
  it('refuses a version re-published with a different binary', async () => {
    const before = await catalogEntry(server, 'secret', 'acme', 'v1.0.1');
    const mark = await server.auditMark();
    const run = await runAction(secretRollout({}, { 'release-repository': 'acme/acme-fork' }));

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `::error title=Preflight check failed — nothing written::secret plugin acme v1.0.1 is already registered with sha256 ${sha.secretsV101}, not this artifact's ${sha.secretsV101Republished}; versions are immutable`,
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toEqual(before);
    expect(await sha256File(join(server.pluginDir, 'acme-v1.0.1'))).toBe(sha.secretsV101);
    expect(run.outputs.changed).toBe('false');
    expect(run.summary).toContain('Nothing was written to the server.');
  });

  it('refuses a listed mount that does not exist, or that runs another plugin', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      secretRollout({ ref: 'refs/tags/v1.1.0' }, { mounts: 'acme\nmissing\nsecret' }),
    );

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      '::error title=Preflight check failed — nothing written::mounts: missing/ does not exist; mounts: secret/ runs plugin kv, not acme',
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(existsSync(join(server.pluginDir, 'acme-v1.1.0'))).toBe(false);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.1.0')).toBeNull();
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({ version: 'v1.0.0' });
  });
});
