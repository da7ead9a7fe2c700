// A binary nothing vouches for — no checksums file, no sha256, no signature,
// no attestation — is not deployed unless the workflow says allow-unverified.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { acmeRolloutInputs, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { catalogEntry, enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';

const SERVER = serverUnderTest();
const GITHUB_TOKEN = 'ghs_unverifiedlab';
const ASSET = 'acme_1.0.1_linux_amd64.zip';
const REFUSAL = `artifact: nothing vouches for ${ASSET}: no checksums file, no sha256, no signature and no attestation; publish a checksums file with the release or name one with checksums, give the binary's sha256, sign the checksums file and give gpg-public-key, or set attestation: required — or set allow-unverified: true to deploy it unverified`;

let server: LabServer;
let github: ReleaseServer;
let work = '';
let v101 = '';

beforeAll(async () => {
  [server, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  work = await mkdtemp(join(tmpdir(), 'unverified-'));
  v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(server, 'secret', 'acme', 'acme', 'v1.0.0');
  for (const [repo, sums] of [
    ['bare', false],
    ['summed', true],
  ] as const) {
    github.publish(
      pluginRelease({
        server: SERVER,
        repo,
        name: 'acme',
        kind: 'secrets',
        version: 'v1.0.1',
        format: 'zip',
        sums,
      }),
    );
  }
});

afterAll(async () => {
  await Promise.all([server.stop(), github.close()]);
  await rm(work, { recursive: true, force: true });
});

function rollout(
  repo: string,
  inputs: Record<string, string> = {},
  extra: Partial<RunOptions> = {},
): RunOptions {
  return {
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    repository: `acme/${repo}`,
    ...extra,
    inputs: { ...acmeRolloutInputs(server, GITHUB_TOKEN), mounts: 'acme', ...inputs },
  };
}

function provenance(outputs: Record<string, string>): Record<string, unknown> {
  return JSON.parse(outputs.provenance ?? '{}') as Record<string, unknown>;
}

describe('an artifact nothing vouches for', () => {
  it('stops the run before any write, naming every way to verify it', async () => {
    const toolCache = join(work, 'tool-cache');
    await mkdir(toolCache);
    const mark = await server.auditMark();
    const run = await runAction(rollout('bare', {}, { toolCache }));

    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `::error title=Artifact check failed — nothing written::${REFUSAL}\n`,
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await catalogEntry(server, 'secret', 'acme', 'v1.0.1')).toBeNull();
    expect(existsSync(join(server.pluginDir, 'acme-v1.0.1'))).toBe(false);
    expect(await readdir(toolCache)).toEqual([]);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({ version: 'v1.0.0' });
    expect(run.summary).toContain(
      'stopped at the artifact stage. Nothing was written to the server.',
    );
  });

  it('stops a binary an earlier step built, given without checksums or sha256, alike', async () => {
    const workspace = join(work, 'workspace');
    await mkdir(join(workspace, 'dist'), { recursive: true });
    await copyFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1'), join(workspace, 'dist', 'acme'));
    const mark = await server.auditMark();
    const run = await runAction(
      rollout('bare', { artifact: 'dist/acme' }, { env: { GITHUB_WORKSPACE: workspace } }),
    );

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([REFUSAL.replace(ASSET, 'acme')]);
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('with allow-unverified, deploys it with a warning, and the summary says unverified at the top', async () => {
    const run = await runAction(rollout('bare', { 'allow-unverified': 'true' }));

    expect(run.exitCode, run.log).toBe(0);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    expect(run.stdout).toContain(
      `::warning title=Unverified artifact::allow-unverified: nothing vouches for ${ASSET}: no checksums file, no sha256, no signature and no attestation; allow-unverified is true, so the run goes on with it\n`,
    );
    expect(run.stdout).toContain(
      '::notice title=Rolled out::acme v1.0.1 on 1 mount(s), running an unverified binary\n',
    );
    const [title, , status, , warning, notice] = run.summary.split('\n');
    expect(title).toBe('## ✅ Rolled out `acme` `v1.0.1` — unverified');
    expect(status).toMatch(
      /: 1 mount runs the new binary, as read back from the server; nothing vouched for the binary itself\.$/,
    );
    expect(warning).toBe('> [!WARNING]');
    expect(notice).toContain(`**Unverified.** Nothing vouched for \`${ASSET}\``);
    expect(`${run.summary}\n${run.log}`).not.toMatch(/(?<!un)verified (running|binary)/);
    expect(provenance(run.outputs)).toMatchObject({ checksums_file: '', verified: false });
  });

  it('with allow-unverified but a checksums file, is verified as usual and says nothing of it', async () => {
    const run = await runAction(rollout('summed', { 'allow-unverified': 'true' }));

    expect(run.exitCode, run.log).toBe(0);
    expect(run.stdout).not.toContain('::warning');
    expect(run.summary).not.toMatch(/unverified/i);
    expect(provenance(run.outputs)).toMatchObject({ verified: true });
  });
});
