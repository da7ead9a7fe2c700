// The runner's tool cache is a directory anyone with a job on the runner can
// write. These tests forge what an attacker would put there and check that the
// plugin the servers run is still the one the release's checksums (or the
// sha256 input) name.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTarGz, makeZip } from '../../lab/archives.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { layoutRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_toolcachetoken0123456789';
const TGZ = 'acme_1.0.1_linux_amd64.tar.gz';

let bao: LabServer;
let github: ReleaseServer;
let work = '';
let genuine: Buffer = Buffer.alloc(0);
let evil: Buffer = Buffer.alloc(0);
let genuineArchive: Buffer = Buffer.alloc(0);

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

beforeAll(async () => {
  [bao, github] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
  ]);
  work = await mkdtemp(join(tmpdir(), 'lab-tool-cache-'));
  genuine = await readFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  // A real plugin of the same version, built from other bytes: what a forger would plant.
  evil = await readFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1', 'republished'));
  await installPlugin(bao, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(bao, 'secret', 'acme', 'acme', 'v1.0.0');
  const openbao = layoutRelease({
    server: SERVER,
    repo: 'cached',
    name: 'acme',
    version: 'v1.0.1',
    layout: 'openbao',
  });
  genuineArchive = openbao.assets.find((a) => a.name === TGZ)?.data ?? Buffer.alloc(0);
  github.publish(openbao);
  github.publish(
    layoutRelease({
      server: SERVER,
      repo: 'pinned',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'no-sums',
    }),
  );
}, 60_000);

afterAll(async () => {
  await Promise.all([bao.stop(), github.close()]);
  await rm(work, { recursive: true, force: true });
});

function rollout(
  repo: string,
  inputs: Record<string, string>,
  extra: Partial<RunOptions>,
): RunOptions {
  return {
    ref: 'refs/tags/v1.0.1',
    apiUrl: github.apiUrl,
    repository: `acme/${repo}`,
    ...extra,
    inputs: {
      url: bao.address,
      token: bao.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      'plugin-directory': bao.pluginDir,
      mounts: 'acme',
      platform: 'linux/amd64',
      ...inputs,
    },
  };
}

const fromChecksums = (toolCache: string): RunOptions =>
  rollout('cached', { artifact: 'acme_{version}_{os}_{arch}.tar.gz' }, { toolCache });

function provenance(outputs: Record<string, string>): Record<string, unknown> {
  return JSON.parse(outputs.provenance ?? '{}') as Record<string, unknown>;
}

/**
 * An entry as @actions/tool-cache lays it out, with the `.complete` marker
 * that makes it found; its file written by `write`, or holding `file`.
 */
async function plantEntry(
  toolCache: string,
  key: string,
  file: Buffer | ((path: string) => Promise<void>),
): Promise<void> {
  const entry = join(toolCache, 'vault-plugin-rollout-acme', '1.0.1', key);
  await mkdir(entry, { recursive: true });
  const path = join(entry, 'artifact');
  if (Buffer.isBuffer(file)) await writeFile(path, file);
  else await file(path);
  await writeFile(`${entry}.complete`, '');
  await writeFile(join(entry, 'facts.json'), JSON.stringify({ sha256: key, assetSha256: key }));
}

async function expectGenuineRunning(run: Awaited<ReturnType<typeof runAction>>): Promise<void> {
  expect(run.exitCode, run.stdout).toBe(0);
  expect(run.outputs.sha256).toBe(sha256(genuine));
  expect(await liveMount(bao, 'secret', 'acme')).toMatchObject({
    version: 'v1.0.1',
    runningSha256: sha256(genuine),
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) found.push(...(await filesUnder(path)));
    else found.push(path);
  }
  return found;
}

describe('the tool cache is trusted only as far as the verified data reaches', () => {
  it('never runs a binary from an entry forged to claim the genuine archive', async () => {
    const toolCache = join(work, 'forged');
    const evilArchive = makeTarGz([{ name: 'acme', data: evil, mode: 0o755 }]);
    // Under the genuine archive's hash, where the checksums file sends the lookup.
    await plantEntry(toolCache, sha256(genuineArchive), evilArchive);
    // And the same claim made by metadata beside an evil binary, in the layout
    // earlier versions of the action read.
    const legacy = join(toolCache, 'vault-plugin-rollout', 'acme', 'v1.0.1', sha256(evil));
    await mkdir(legacy, { recursive: true });
    await writeFile(join(legacy, 'plugin'), evil, { mode: 0o755 });
    await writeFile(
      join(legacy, 'facts.json'),
      JSON.stringify({
        asset: TGZ,
        assetSha256: sha256(genuineArchive),
        format: 'tar.gz',
        binaryName: 'acme',
        sha256: sha256(evil),
      }),
    );

    const run = await runAction(fromChecksums(toolCache));

    await expectGenuineRunning(run);
    expect(provenance(run.outputs)).toMatchObject({ cached: false });
    expect(run.log).toContain(
      `tool cache: the copy kept for sha256 ${sha256(genuineArchive)} has sha256 ${sha256(evilArchive)}; downloading ${TGZ}`,
    );
  });

  it('never runs a binary from an entry forged under the pinned binary hash', async () => {
    const toolCache = join(work, 'forged-pin');
    const evilZip = makeZip([{ name: 'acme', data: evil, mode: 0o755 }]);
    await plantEntry(toolCache, sha256(genuine), evilZip);

    const run = await runAction(
      rollout(
        'pinned',
        { artifact: 'acme_{version}_{os}_{arch}.zip', sha256: sha256(genuine) },
        { toolCache },
      ),
    );

    await expectGenuineRunning(run);
    expect(run.log).toContain(
      `tool cache: the copy kept for binary sha256 ${sha256(genuine)} holds a binary with sha256 ${sha256(evil)}`,
    );
  });

  it('never waits on a pipe planted as an entry, nor copies more than max-size out of one', async () => {
    const piped = join(work, 'piped');
    await plantEntry(piped, sha256(genuineArchive), (path) => {
      execFileSync('mkfifo', [path]);
      return Promise.resolve();
    });
    // A pipe nobody writes to would hold the run until the job's timeout.
    const fromPipe = await runAction({ ...fromChecksums(piped), timeoutMs: 30_000 });
    await expectGenuineRunning(fromPipe);
    expect(fromPipe.log).toContain(
      `tool cache: the copy kept for sha256 ${sha256(genuineArchive)} cannot be used (it is not a regular file); downloading ${TGZ}`,
    );

    const sparse = join(work, 'sparse');
    const maxBytes = 32 * 1024 * 1024;
    // Sparse: no disk is spent on it, but a copy would write every byte.
    await plantEntry(sparse, sha256(genuine), async (path) => {
      await writeFile(path, '');
      await truncate(path, maxBytes + 1);
    });
    const fromSparse = await runAction(
      rollout(
        'pinned',
        {
          artifact: 'acme_{version}_{os}_{arch}.zip',
          sha256: sha256(genuine),
          'max-size': '32MiB',
        },
        { toolCache: sparse },
      ),
    );
    await expectGenuineRunning(fromSparse);
    expect(fromSparse.log).toContain(
      `tool cache: the copy kept for sha256 ${sha256(genuine)} cannot be used (it holds ${String(maxBytes + 1)} bytes, more than max-size); downloading`,
    );
  });

  it('notices a file swapped in a genuine entry, and keeps the genuine one again', async () => {
    const toolCache = join(work, 'swapped');
    await expectGenuineRunning(await runAction(fromChecksums(toolCache)));
    let swapped = 0;
    for (const path of await filesUnder(toolCache)) {
      const hash = sha256(await readFile(path));
      if (hash === sha256(genuineArchive)) {
        await writeFile(path, makeTarGz([{ name: 'acme', data: evil, mode: 0o755 }]));
        swapped++;
      } else if (hash === sha256(genuine)) {
        await writeFile(path, evil);
        swapped++;
      }
    }
    expect(swapped).toBeGreaterThan(0);

    const second = await runAction(fromChecksums(toolCache));
    await expectGenuineRunning(second);
    expect(provenance(second.outputs)).toMatchObject({ cached: false });

    const third = await runAction(fromChecksums(toolCache));
    await expectGenuineRunning(third);
    expect(provenance(third.outputs)).toMatchObject({ cached: true });
  });

  it('goes on with the download when the tool cache cannot be written', async () => {
    const blocker = join(work, 'not-a-directory');
    await writeFile(blocker, '');
    const run = await runAction({
      ...fromChecksums(join(work, 'unused')),
      env: { RUNNER_TOOL_CACHE: join(blocker, 'tool-cache') },
    });

    await expectGenuineRunning(run);
    expect(run.log).toContain(`tool cache: could not keep ${TGZ} (`);
  });
});
