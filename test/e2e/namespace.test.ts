import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
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
