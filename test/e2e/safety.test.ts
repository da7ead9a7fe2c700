import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { pluginRelease, acmeRolloutInputs } from '../../lab/releases.ts';
import { runAction, type RunOptions, resultRows } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_safetylab';
const MOUNTS = ['m1', 'm2', 'm3', 'm4', 'm5'];

let server: LabServer;
let github: ReleaseServer;
let v100 = '';
let v101 = '';

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  v100 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.0'));
  v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const path of MOUNTS) await enableMount(server, 'secret', path, 'acme', 'v1.0.0');
  await enableMount(server, 'secret', 'kept', 'acme', 'v1.0.0');
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
      kind: 'broken',
      version: 'v1.0.2',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
});

function rollout(tag: string, inputs: Record<string, string>): RunOptions {
  return {
    ref: `refs/tags/${tag}`,
    apiUrl: github.apiUrl,
    inputs: {
      ...acmeRolloutInputs(server, GITHUB_TOKEN),
      ...inputs,
    },
  };
}

async function expectAllOn(
  paths: readonly string[],
  version: string,
  sha256: string,
): Promise<void> {
  for (const path of paths) {
    expect(await liveMount(server, 'secret', path), path).toMatchObject({
      version,
      runningVersion: version,
      runningSha256: sha256,
    });
  }
}

describe('a rollout stays safe', () => {
  it('dry run publishes the plan and writes nothing', async () => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout('v1.0.1', {
        mounts: 'all',
        exclude: 'kept',
        'dry-run': 'true',
        canary: 'm2',
        'batch-size': '2',
      }),
    );

    expect(run.exitCode, run.log).toBe(0);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toBeNull();
    const plan = JSON.parse(run.outputs.plan ?? '{}') as Record<string, unknown>;
    expect(plan).toMatchObject({
      version: 'v1.0.1',
      sha256: v101,
      catalog: 'register',
      plugin_file: 'copy',
      discovered: MOUNTS,
      batches: [['m2'], ['m1', 'm3'], ['m4', 'm5']],
      canary: true,
    });
    expect(run.outputs.changed).toBe('false');
    expect(run.summary).toContain('## 📝 Planned — nothing written: `acme` `v1.0.1`');
    expect(run.summary).toContain(
      '1. canary: `m2/`\n2. batch 2: `m1/`, `m3/`\n3. batch 3: `m4/`, `m5/`',
    );
  });

  it('a plugin that cannot start is rolled back automatically, and the failing canary protects the rest', async () => {
    const run = await runAction(
      rollout('v1.0.2', {
        mounts: MOUNTS.join('\n'),
        canary: 'm1',
        'batch-size': '2',
        probe: 'info',
      }),
    );

    expect(run.exitCode).toBe(1);
    await expectAllOn(MOUNTS, 'v1.0.0', v100);
    expect(run.outputs['rolled-back']).toBe('true');
    expect(run.log).toMatch(
      /::error title=Rollout failed and was rolled back::.*cannot reload plugin on "m1\/".* — rolled back: every touched mount runs its previous version again/,
    );
    const rows = resultRows(run);
    expect(rows.map((r) => [r.mount, r.result, r.running_sha256])).toEqual([
      ['m1', 'rolled-back', v100],
      ['m2', 'not-started', v100],
      ['m3', 'not-started', v100],
      ['m4', 'not-started', v100],
      ['m5', 'not-started', v100],
    ]);
    expect(run.summary).toContain('## ↩️ Rolled back: `acme` `v1.0.2` failed at the rollout stage');
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.0')).not.toBeNull();
  });

  it('rolls every mount of the plugin in canary and batches, probing each', async () => {
    const run = await runAction(
      rollout('v1.0.1', {
        mounts: 'all',
        exclude: 'kept',
        canary: 'm3',
        'batch-size': '2',
        probe: 'info',
      }),
    );

    expect(run.exitCode, run.log).toBe(0);
    await expectAllOn(MOUNTS, 'v1.0.1', v101);
    await expectAllOn(['kept'], 'v1.0.0', v100);
    expect(run.log).toContain('the canary: m3');
    expect(run.log).toContain('the canary: info answered on every mount');
    expect(run.log).toContain('batch 3 of 3: m4, m5');
  });

  it('a probe that fails after a good reload rolls the batch back', async () => {
    const run = await runAction(rollout('v1.0.1', { mounts: 'kept', probe: 'missing-path' }));

    expect(run.exitCode).toBe(1);
    expect(run.log).toContain(
      '::error title=Rollout failed and was rolled back::probe: GET /v1/kept/missing-path answered',
    );
    await expectAllOn(['kept'], 'v1.0.0', v100);
    expect(run.outputs['rolled-back']).toBe('true');
  });

  it('with rollback-on-failure off, a failure leaves the touched mounts where they are and says so', async () => {
    const run = await runAction(
      rollout('v1.0.2', { mounts: 'kept', 'rollback-on-failure': 'false' }),
    );

    expect(run.exitCode).toBe(1);
    expect(run.outputs['rolled-back']).toBe('false');
    expect(run.summary).toContain('Automatic rollback was off.');
    expect(await liveMount(server, 'secret', 'kept')).toMatchObject({
      version: 'v1.0.2',
      runningSha256: v100,
    });
  });
});
