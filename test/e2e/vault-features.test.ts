import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makeZip, sha256sums } from '../lab/archives.ts';
import { fixtureBinary, vaultKvPlugin } from '../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../lab/release-server.ts';
import { acmeRolloutInputs, assetTemplate, pluginRelease } from '../lab/releases.ts';
import { runAction, resultRows, type RunOptions } from '../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../lab/server.ts';

// What only Vault has: pins (Vault 1.16+), and HashiCorp's own KV plugin,
// which reports no running_sha256, overriding the builtin kv. On OpenBao the
// same inputs meet a clear refusal before any write. These scenarios are kept
// apart from the rest of the suite because the action does not do all of this
// yet: each one that fails names a missing feature.

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_vaultfeatureslab';
const MOUNTS = ['p1', 'p2'];
/** HashiCorp's KV plugin, as the lab builds it (see test/lab/vault/go.mod). */
const KV_VERSION = 'v0.25.0';

let server: LabServer;
let github: ReleaseServer;
const sha: Record<string, string> = {};

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of MOUNTS) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  for (const version of ['v1.0.0', 'v1.0.1', 'v1.1.0']) {
    sha[version] = await sha256File(fixtureBinary(SERVER, 'secrets', version));
    github.publish(
      pluginRelease({ server: SERVER, name: 'acme', kind: 'secrets', version, format: 'zip' }),
    );
  }
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'broken',
      version: 'v1.0.2',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function rollout(tag: string, inputs: Record<string, string> = {}): RunOptions {
  return {
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: {
      ...acmeRolloutInputs(server, GITHUB_TOKEN),
      mounts: MOUNTS.join('\n'),
      ...inputs,
    },
  };
}

async function pinned(): Promise<string | null> {
  const pin = await server.api<{ data: { version: string } }>(
    'GET',
    'sys/plugins/pins/secret/acme',
  );
  return pin?.data.version ?? null;
}

async function expectMountsOn(version: string): Promise<void> {
  for (const path of MOUNTS) {
    expect(await liveMount(server, 'secret', path), path).toMatchObject({
      version,
      runningVersion: version,
      runningSha256: sha[version],
    });
  }
}

if (SERVER === 'openbao') {
  describe('pins on OpenBao, which has none', () => {
    it('refuses pin: true in one line and writes nothing', async () => {
      const mark = await server.auditMark();
      const run = await runAction(rollout('v1.0.1', { pin: 'true' }));

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([expect.stringMatching(/^pin: .*OpenBao.*no pins/)]);
      expect(await server.writesSince(mark)).toEqual([]);
      await expectMountsOn('v1.0.0');
    });
  });
} else {
  describe('pins (Vault 1.16+)', () => {
    it('a pin at another version stops the run before any write, naming the pin', async () => {
      await server.api('POST', 'sys/plugins/pins/secret/acme', { version: 'v1.0.0' });
      const mark = await server.auditMark();
      const run = await runAction(rollout('v1.0.1'));

      expect(run.exitCode).toBe(1);
      expect(run.errors).toEqual([
        expect.stringMatching(
          /^a pin holds secret plugin acme at v1\.0\.0, .*; set pin: true to move the pin to v1\.0\.1, or delete the pin$/,
        ),
      ]);
      expect(await server.writesSince(mark)).toEqual([]);
      expect(await pinned()).toBe('v1.0.0');
      await expectMountsOn('v1.0.0');
    });

    it('pin: true moves the pin with the mounts, leaving pin and configured versions agreeing', async () => {
      const run = await runAction(rollout('v1.0.1', { pin: 'true' }));

      expect(run.exitCode, run.log).toBe(0);
      expect(await pinned()).toBe('v1.0.1');
      await expectMountsOn('v1.0.1');
      expect(JSON.parse(run.outputs.plan ?? '{}')).toMatchObject({
        pin: { from: 'v1.0.0', to: 'v1.0.1' },
      });
      expect(resultRows(run).map((r) => [r.mount, r.result])).toEqual([
        ['p1', 'updated'],
        ['p2', 'updated'],
      ]);
    });

    it('a failed rollout with pin: true puts the pin and the mounts back', async () => {
      const run = await runAction(rollout('v1.0.2', { pin: 'true' }));

      expect(run.exitCode).toBe(1);
      expect(run.outputs['rolled-back']).toBe('true');
      expect(await pinned()).toBe('v1.0.1');
      await expectMountsOn('v1.0.1');
    });

    it('rolls back from workflow_dispatch with pin: true, moving the pin back too', async () => {
      const run = await runAction({
        ...rollout('v1.0.0', { pin: 'true' }),
        eventName: 'workflow_dispatch',
        event: { inputs: { version: 'v1.0.0' } },
        ref: 'refs/heads/main',
      });

      expect(run.exitCode, run.log).toBe(0);
      expect(await pinned()).toBe('v1.0.0');
      await expectMountsOn('v1.0.0');
    });
  });

  describe("HashiCorp's KV plugin over the builtin kv", () => {
    beforeAll(async () => {
      const binary = await readFile(vaultKvPlugin());
      const zip = {
        name: `kv_${KV_VERSION.slice(1)}_linux_amd64.zip`,
        data: makeZip([{ name: 'kv', data: binary, mode: 0o755 }]),
      };
      github.publish({
        owner: 'hashicorp',
        repo: 'vault-plugin-secrets-kv',
        tag: KV_VERSION,
        assets: [zip, { name: `kv_${KV_VERSION.slice(1)}_SHA256SUMS`, data: sha256sums([zip]) }],
      });
      await server.api('POST', 'sys/mounts/kv-lab', { type: 'kv', options: { version: '2' } });
    });

    it('rolls an external kv build out over the builtin, though Vault reports no running_sha256 for it', async () => {
      const run = await runAction({
        ref: `refs/tags/${KV_VERSION}`,
        apiUrl: github.apiUrl,
        repository: 'hashicorp/vault-plugin-secrets-kv',
        inputs: {
          url: server.address,
          token: server.token,
          'github-token': GITHUB_TOKEN,
          'plugin-name': 'kv',
          artifact: assetTemplate('kv', 'zip'),
          'plugin-directory': server.pluginDir,
          mounts: 'kv-lab',
          // A reload of kv takes well under a second; a failed verification need not wait a minute.
          'verify-timeout': '15',
        },
      });

      expect(run.exitCode, run.log).toBe(0);
      expect(await liveMount(server, 'secret', 'kv-lab')).toMatchObject({
        plugin: 'kv',
        version: KV_VERSION,
        runningVersion: KV_VERSION,
      });
      expect(resultRows(run).map((r) => [r.mount, r.result])).toEqual([['kv-lab', 'updated']]);
    });
  });
}
