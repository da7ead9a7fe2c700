import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunResult } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

// Plan in one run, apply in another, as the README's two-job workflow does:
// the first run's `plan` output is the second run's `plan` input.

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_savedplanlab';

let server: LabServer;
/** Another server, seeded the same way: a plan made on `server` must not apply here. */
let other: LabServer;
let github: ReleaseServer;
let work = '';
let v100 = '';
let v101 = '';
let v110 = '';

beforeAll(async () => {
  [server, other, github] = await Promise.all([
    startServer(SERVER),
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  work = await mkdtemp(join(tmpdir(), 'saved-plan-'));
  v100 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.0'));
  v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  v110 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.1.0'));
  for (const lab of [server, other]) {
    await installPlugin(lab, 'secret', 'acme', 'secrets', 'v1.0.0');
    for (const path of ['a1', 'a2', 's1', 's2', 'c1', 'o1', 'e1', 't1']) {
      await enableMount(lab, 'secret', path, 'acme', 'v1.0.0');
    }
  }
  github.publish(
    pluginRelease({
      server: SERVER,
      name: 'acme',
      kind: 'secrets',
      version: 'v1.1.0',
      format: 'zip',
    }),
  );
});

afterAll(async () => {
  await Promise.all([server.stop(), other.stop(), github.close()]);
  await rm(work, { recursive: true, force: true });
});

function inputs(lab: LabServer, extra: Record<string, string>): Record<string, string> {
  return { ...acmeRolloutInputs(lab, GITHUB_TOKEN), version: 'v1.1.0', ...extra };
}

/** The plan job: a dry run whose `plan` output the apply job is given. */
async function planJob(mounts: string, runId = '4242'): Promise<RunResult> {
  const run = await runAction({
    apiUrl: github.apiUrl,
    env: { GITHUB_RUN_ID: runId },
    inputs: inputs(server, { mounts, 'dry-run': 'true' }),
  });
  expect(run.exitCode, run.log).toBe(0);
  return run;
}

async function applyJob(
  plan: string,
  mounts: string,
  extra: Record<string, string> = {},
  lab: LabServer = server,
): Promise<RunResult> {
  return runAction({
    apiUrl: github.apiUrl,
    env: { GITHUB_RUN_ID: '5151' },
    inputs: inputs(lab, { mounts, plan, ...extra }),
  });
}

async function clusterOf(lab: LabServer): Promise<{ id: string; name: string }> {
  const health = await lab.api<{ cluster_id: string; cluster_name: string }>('GET', 'sys/health');
  return { id: health?.cluster_id ?? '', name: health?.cluster_name ?? '' };
}

async function expectOn(
  lab: LabServer,
  paths: readonly string[],
  version: string,
  sha256: string,
): Promise<void> {
  for (const path of paths) {
    expect(await liveMount(lab, 'secret', path), path).toMatchObject({
      version,
      runningVersion: version,
      runningSha256: sha256,
    });
  }
}

/** The plan a dry run published, changed as a person editing it would. */
function edited(plan: string, change: (parsed: Record<string, unknown>) => void): string {
  const parsed = JSON.parse(plan) as Record<string, unknown>;
  change(parsed);
  return JSON.stringify(parsed, null, 2);
}

describe('plan, approve, apply exactly the plan', () => {
  it('a plan records what it was made from, and applying it rolls out and verifies', async () => {
    const mark = await server.auditMark();
    const planned = await planJob('a1\na2');

    expect(await server.writesSince(mark)).toEqual([]);
    const cluster = await clusterOf(server);
    expect(JSON.parse(planned.outputs.plan ?? '')).toMatchObject({
      format_version: 1,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
      version: 'v1.1.0',
      sha256: v110,
      catalog: 'register',
      catalog_entry: null,
      pinned: null,
      changes: true,
      mounts: ['a1', 'a2'].map((mount) => ({
        mount,
        from: 'v1.0.0',
        to: 'v1.1.0',
        action: 'tune',
        running_version: 'v1.0.0',
        running_sha256: v100,
      })),
      server: { url: server.address, cluster_id: cluster.id, cluster_name: cluster.name },
      artifact: { sha256: v110, source: 'release', tag: 'v1.1.0' },
      inputs: { version: 'v1.1.0', mounts: ['a1', 'a2'], 'plugin-name': 'acme' },
      made_by: { run_url: 'https://github.com/acme/acme-plugin/actions/runs/4242' },
    });
    expect(planned.summary).toContain('## 📝 Planned — nothing written: `acme` `v1.1.0`');
    expect(planned.summary).toContain('### Plan to approve');
    expect(planned.summary).toContain('| `a1/` | tune `v1.0.0` → `v1.1.0`, reload |');
    expect(planned.summary).toContain(`cluster \`${cluster.name}\` (id \`${cluster.id}\`)`);

    const applied = await applyJob(planned.outputs.plan ?? '', 'a1\na2');

    expect(applied.exitCode, applied.log).toBe(0);
    await expectOn(server, ['a1', 'a2'], 'v1.1.0', v110);
    expect(applied.outputs.changed).toBe('true');
    expect(applied.log).toContain('plan: the server is as the given plan read it');
    expect(applied.summary).toMatch(/^## ✅ Rolled out `acme` `v1\.1\.0`/);
    expect(applied.summary).toContain(
      '### Plan applied\n\nThe plan made by [this run](https://github.com/acme/acme-plugin/actions/runs/4242)',
    );
    expect(applied.summary).toContain(
      'the pin and 2 mounts were read again and found as the plan recorded them',
    );
  });

  it('a mount another writer changed after the plan refuses the plan, and nothing is written', async () => {
    const planned = await planJob('s1\ns2');
    await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.1');
    await server.api('POST', 'sys/mounts/s2/tune', { plugin_version: 'v1.0.1' });
    await server.api('PUT', 'sys/plugins/reload/backend', { mounts: ['s2'] });
    const mark = await server.auditMark();

    const run = await applyJob(planned.outputs.plan ?? '', 's1\ns2');

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(['plan is stale: s2/ now runs v1.0.1, planned from v1.0.0']);
    expect(await server.writesSince(mark)).toEqual([]);
    await expectOn(server, ['s1'], 'v1.0.0', v100);
    await expectOn(server, ['s2'], 'v1.0.1', v101);
    expect(run.summary).toContain('### Plan given');
    expect(run.summary).toContain(
      'It was not applied: the run stopped at the preflight stage, before any write',
    );
  });

  it('a plan for v1.1.0 is not applied by a run for v1.2.0', async () => {
    const planned = await planJob('c1');
    const mark = await server.auditMark();

    const run = await applyJob(planned.outputs.plan ?? '', 'c1', { version: 'v1.2.0' });

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      'plan: made with version v1.1.0, but this run has version v1.2.0; apply a plan with the inputs it was made with, or make a new plan',
    ]);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.2.0')).toBeNull();
    await expectOn(server, ['c1'], 'v1.0.0', v100);
  });

  it('a plan made on one server is not applied to another', async () => {
    const planned = await planJob('o1');
    const [made, elsewhere] = await Promise.all([clusterOf(server), clusterOf(other)]);
    expect(made.id).not.toBe(elsewhere.id);
    const [markHere, markThere] = await Promise.all([server.auditMark(), other.auditMark()]);

    // The plugin directory has one path on every server, as /etc/vault/plugins would.
    const run = await applyJob(
      planned.outputs.plan ?? '',
      'o1',
      { 'plugin-directory': server.pluginDir },
      other,
    );

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `plan was made on cluster ${made.name} (id ${made.id}), but ${other.address} is cluster ${elsewhere.name} (id ${elsewhere.id}); apply a plan made on this server`,
    ]);
    expect(await other.writesSince(markThere)).toEqual([]);
    expect(await server.writesSince(markHere)).toEqual([]);
    await expectOn(other, ['o1'], 'v1.0.0', v100);
    expect(await catalogEntry(other, 'secret', 'acme', 'v1.1.0')).toBeNull();
  });

  it('a plan edited by hand, cut short or of an unknown format is refused with its own line', async () => {
    const plan = (await planJob('e1')).outputs.plan ?? '';
    const cutShort = join(work, 'cut-short.json');
    await writeFile(cutShort, plan.slice(0, Math.floor(plan.length / 2)));
    const cases: [string, string][] = [
      [
        edited(plan, (p) => (p.batches = [])),
        'plan: its digest does not match its content, so it was changed after it was made; make a new plan instead of editing one',
      ],
      [
        cutShort,
        'plan: not valid JSON (cut short, or changed by hand); pass the plan output of a dry run as it is',
      ],
      [
        edited(plan, (p) => (p.format_version = 2)),
        'plan: format_version 2 is not one this action reads (it reads 1); make the plan with the same release of the action that applies it',
      ],
    ];
    const mark = await server.auditMark();

    for (const [given, error] of cases) {
      const run = await applyJob(given, 'e1');
      expect(run.exitCode, error).toBe(1);
      expect(run.errors).toEqual([error]);
    }

    expect(await server.writesSince(mark)).toEqual([]);
    await expectOn(server, ['e1'], 'v1.0.0', v100);
  });

  it('applying the same plan twice writes nothing the second time', async () => {
    const planned = await planJob('t1');
    const file = join(work, 'plan.json');
    await writeFile(file, planned.outputs.plan ?? '');
    const first = await applyJob(file, 't1');
    expect(first.exitCode, first.log).toBe(0);
    const mark = await server.auditMark();

    const second = await applyJob(file, 't1');

    expect(second.exitCode, second.log).toBe(0);
    expect(second.outputs.changed).toBe('false');
    expect(await server.writesSince(mark)).toEqual([]);
    await expectOn(server, ['t1'], 'v1.1.0', v110);
    expect(second.log).toContain(
      'plan: the server is already where the given plan leads; nothing to write',
    );
    expect(second.summary).toMatch(/^## ➖ Unchanged: `acme` `v1\.1\.0` was already in place/);
    expect(second.summary).toContain(
      'The server was already where it leads, so nothing was written',
    );
  });
});
