import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { startMeddler, type ProxiedRequest } from '../../lab/meddler.ts';
import { resultRows, runAction, type RunResult } from '../../lab/runner.ts';
import { enableMount, installPlugin } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

// A namespace that does not exist is named as such, before any write, instead
// of every mount in it being reported missing.

const GITHUB_TOKEN = 'ghs_namespacelab';
const MOUNTS = 'acme\nteam-a/acme';

let bao: LabServer;
let github: ReleaseServer;

beforeAll(async () => {
  [bao, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  // Vault community edition has no namespaces: only the root namespace's mounts exist there.
  if (SERVER === 'openbao') await bao.api('POST', 'sys/namespaces/team', {});
  for (const path of ['acme', 'team-a/acme']) {
    if (SERVER === 'openbao') {
      await bao.api('POST', `team/sys/mounts/${path}`, {
        type: 'acme',
        config: { plugin_version: 'v1.0.0' },
      });
    }
    await enableMount(bao, 'secret', path, 'acme', 'v1.0.0');
  }
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([bao.stop(), github.close()]);
});

function rollout(namespace: string, token = bao.token): Promise<RunResult> {
  return runAction({
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    inputs: {
      url: bao.address,
      token,
      namespace,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: assetTemplate('acme', 'zip'),
      'plugin-directory': bao.pluginDir,
      mounts: MOUNTS,
    },
  });
}

/** A token whose only policy, in the root namespace, grants nothing a rollout needs. */
async function powerlessToken(): Promise<string> {
  await bao.api('PUT', 'sys/policies/acl/powerless', {
    policy: 'path "secret/nothing" { capabilities = ["read"] }',
  });
  const created = await bao.api<{ auth: { client_token: string } }>('POST', 'auth/token/create', {
    policies: ['powerless'],
    ttl: '10m',
  });
  return created?.auth.client_token ?? '';
}

if (SERVER === 'vault') {
  describe('a namespace on Vault community edition', () => {
    it('is refused before any write, as the server would act on the root namespace', async () => {
      const files = await readdir(bao.pluginDir);
      const mark = await bao.auditMark();

      const run = await rollout('no-such-ns');

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        "namespace: Vault community edition has no namespaces, so no-such-ns would act on the root namespace's mounts; remove namespace, or use Vault Enterprise or OpenBao",
      ]);
      expect(await bao.writesSince(mark)).toEqual([]);
      expect(await readdir(bao.pluginDir)).toEqual(files);
    });

    it('is refused for several namespaces too, naming the first, before any write', async () => {
      const mark = await bao.auditMark();

      const run = await rollout('team-a\nteam-b');

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        "in namespace team-a: namespace: Vault community edition has no namespaces, so team-a would act on the root namespace's mounts; remove namespace, or use Vault Enterprise or OpenBao",
      ]);
      expect(await bao.writesSince(mark)).toEqual([]);
    });
  });
}

if (SERVER === 'openbao') {
  describe('a namespace that does not exist', () => {
    it.each(['no-such-ns', 'team/no-such-ns'])(
      'fails as %s does not exist, naming the server, and writes nothing',
      async (namespace) => {
        const files = await readdir(bao.pluginDir);
        const mark = await bao.auditMark();

        const run = await rollout(namespace);

        expect(run.exitCode).toBe(1);
        expect(run.errors).toEqual([`namespace: ${namespace} does not exist on ${bao.address}`]);
        expect(await bao.writesSince(mark)).toEqual([]);
        expect(await readdir(bao.pluginDir)).toEqual(files);
      },
    );

    it('is named before the token is found to lack anything', async () => {
      const run = await rollout('no-such-ns', await powerlessToken());

      expect(run.errors).toEqual([`namespace: no-such-ns does not exist on ${bao.address}`]);
    });

    it('is not claimed for a namespace the token may not read', async () => {
      const run = await rollout('team', await powerlessToken());

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(/^permission: .*the token lacks "read" on team\/sys\/mounts /),
      ]);
    });
  });
}

if (SERVER === 'openbao') {
  describe('several namespaces in one run', () => {
    const running = async (namespace: string): Promise<string> => {
      const table = await bao.api<{ data: Record<string, { running_plugin_version?: string }> }>(
        'GET',
        `${namespace}/sys/mounts`,
      );
      return table?.data['acme/']?.running_plugin_version ?? '';
    };

    const several = (
      namespaces: readonly string[],
      url = bao.address,
      extra: Record<string, string> = {},
    ): Promise<RunResult> =>
      runAction({
        ref: 'refs/tags/v1.0.1',
        apiUrl: github.apiUrl,
        inputs: {
          url,
          token: bao.token,
          namespace: namespaces.join('\n'),
          'github-token': GITHUB_TOKEN,
          'plugin-name': 'acme',
          artifact: assetTemplate('acme', 'zip'),
          'plugin-directory': bao.pluginDir,
          mounts: 'acme',
          ...extra,
        },
      });

    beforeAll(async () => {
      for (const namespace of ['north', 'south', 'east', 'west', 'lone']) {
        await bao.api('POST', `sys/namespaces/${namespace}`, {});
        await bao.api('POST', `${namespace}/sys/mounts/acme`, {
          type: 'acme',
          config: { plugin_version: 'v1.0.0' },
        });
      }
    });

    it('checks every namespace before it writes to any', async () => {
      const mark = await bao.auditMark();

      const run = await several(['lone', 'no-such-ns']);

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        `in namespace no-such-ns: namespace: no-such-ns does not exist on ${bao.address}`,
      ]);
      expect(await bao.writesSince(mark)).toEqual([]);
      expect(await running('lone')).toBe('v1.0.0');
      expect(run.summary).toContain(
        '| `lone` | ⏸️ not started: the checks in namespace no-such-ns failed | 1 |',
      );
    });

    it('plans every namespace in a dry run, writing nothing and no saved plan', async () => {
      const mark = await bao.auditMark();

      const run = await several(['lone', 'north'], bao.address, { 'dry-run': 'true' });

      expect(run.exitCode).toBe(0);
      expect(await bao.writesSince(mark)).toEqual([]);
      expect(run.outputs.plan).toBe('');
      expect(run.summary).toContain(
        '## 📝 Planned — nothing written: `acme` `v1.0.1` in 2 namespaces',
      );
      expect(resultRows(run).map((row) => [row.namespace, row.result])).toEqual([
        ['lone', 'not-started'],
        ['north', 'not-started'],
      ]);
    });

    it('rolls each namespace in turn, registering the version once', async () => {
      const mark = await bao.auditMark();

      const run = await several(['north', 'south']);

      expect(run.exitCode).toBe(0);
      expect([await running('north'), await running('south')]).toEqual(['v1.0.1', 'v1.0.1']);
      const registers = (await bao.writesSince(mark)).filter((w) =>
        w.path.startsWith('sys/plugins/catalog/'),
      );
      expect(registers).toHaveLength(1);
      expect(resultRows(run).map((row) => [row.namespace, row.mount, row.result])).toEqual([
        ['north', 'acme', 'updated'],
        ['south', 'acme', 'updated'],
      ]);
      expect(run.summary).toContain('## ✅ Rolled out `acme` `v1.0.1` in 2 namespaces');
      expect(run.summary).toContain('| `south` | ✅ rolled out | 1 |');
      // The rollback workflow rolls every namespace back, so the summary offers it once.
      expect(run.summary.match(/gh workflow run/g)).toHaveLength(1);
    });

    it('rolls the namespaces before a failing one back with it', async () => {
      const reloads = (seen: readonly ProxiedRequest[]): number =>
        seen.filter((r) => r.path === 'sys/plugins/reload/backend').length;
      // Someone puts west's mount back on v1.0.0 just before its reload, so it never runs v1.0.1.
      const meddler = await startMeddler(
        bao.address,
        (request, seen) => request.path === 'sys/plugins/reload/backend' && reloads(seen) === 1,
        async () => {
          await bao.api('POST', 'west/sys/mounts/acme/tune', { plugin_version: 'v1.0.0' });
        },
      );
      try {
        const run = await several(['east', 'west'], meddler.url, { 'verify-timeout': '3' });
        expect(meddler.acted()).toBe(true);
        expect(run.exitCode).toBe(1);
        expect(run.outputs['rolled-back']).toBe('true');
        expect([await running('east'), await running('west')]).toEqual(['v1.0.0', 'v1.0.0']);
        expect(resultRows(run).map((row) => [row.namespace, row.result])).toEqual([
          ['east', 'rolled-back'],
          ['west', 'rolled-back'],
        ]);
        expect(run.summary).toContain(
          '## ↩️ Rolled back: `acme` `v1.0.1` failed at the rollout stage in namespace `west`',
        );
        expect(run.errors).toEqual([expect.stringMatching(/^in namespace west: .*rolled back/)]);
      } finally {
        await meddler.close();
      }
    });
  });
}
