import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { makeTarGz, makeZip, sha256, sha256sums } from '../../lab/archives.ts';
import { makeSigningKey, type SigningKey } from '../../lab/gpg.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startProxy, viaLabName, type Proxy } from '../../lab/proxy.ts';
import {
  startReleaseServer,
  type ReleaseAsset,
  type ReleaseServer,
} from '../../lab/release-server.ts';
import { layoutRelease, withElfMachine } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { startRedirectingHttps, type RedirectingHttps } from '../../lab/tls.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_artifacttoken0123456789';

let server: LabServer;
let github: ReleaseServer;
let ghes: ReleaseServer;
let author: SigningKey;
let stranger: SigningKey;
let mirror: RedirectingHttps;
let proxy: Proxy;
let work: string;
let v101 = '';
let v110: Buffer = Buffer.alloc(0);

beforeAll(async () => {
  [server, github, ghes, proxy] = await Promise.all([
    startServer(SERVER),
    startReleaseServer({ token: GITHUB_TOKEN }),
    startReleaseServer({ token: GITHUB_TOKEN, basePath: '/api/v3' }),
    startProxy(),
  ]);
  author = makeSigningKey('Plugin Author <author@example.test>');
  stranger = makeSigningKey('Someone Else <else@example.test>');
  work = await mkdtemp(join(tmpdir(), 'lab-artifacts-'));
  v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  // Headers are all the bad cases need; a whole binary per case would only slow the suite.
  v110 = (await readFile(fixtureBinary(SERVER, 'secrets', 'v1.1.0'))).subarray(0, 64 * 1024);
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  await enableMount(server, 'secret', 'acme', 'acme', 'v1.0.0');
  github.publish(
    layoutRelease({
      server: SERVER,
      repo: 'hashicorp-style',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'hashicorp',
      sign: (d) => author.sign(d),
    }),
  );
  github.publish({
    ...layoutRelease({
      server: SERVER,
      repo: 'openbao-style',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'openbao',
    }),
    prerelease: true,
  });
  github.publish(
    layoutRelease({
      server: SERVER,
      repo: 'raw-style',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'raw-sums',
    }),
  );
  github.publish(
    layoutRelease({
      server: SERVER,
      repo: 'binary-sums',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'binary-sums',
    }),
  );
  github.publish(
    layoutRelease({
      server: SERVER,
      repo: 'no-sums',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'no-sums',
    }),
  );
  github.publish({
    ...layoutRelease({
      server: SERVER,
      repo: 'drafted',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'openbao',
    }),
    draft: true,
  });
  ghes.publish(
    layoutRelease({
      server: SERVER,
      repo: 'on-ghes',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'openbao',
    }),
  );
  for (const bad of BAD) {
    github.publish({
      owner: 'acme',
      repo: bad.repo,
      tag: 'v1.1.0',
      assets: bad.assets(),
      draft: bad.draft ?? false,
    });
  }
  mirror = await startRedirectingHttps(github.fileUrl('acme_1.1.0_linux_amd64.zip'));
}, 60_000);

afterAll(async () => {
  author.close();
  stranger.close();
  await Promise.all([server.stop(), github.close(), ghes.close(), mirror.close(), proxy.close()]);
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
    inputs: {
      url: server.address,
      token: server.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact: 'acme_{version}_{os}_{arch}.zip',
      'plugin-directory': server.pluginDir,
      mounts: 'acme',
      platform: 'linux/amd64',
      ...inputs,
    },
  };
}

function provenance(outputs: Record<string, string>): Record<string, unknown> {
  return JSON.parse(outputs.provenance ?? '{}') as Record<string, unknown>;
}

describe('release layouts plugin authors publish', () => {
  it('HashiCorp style: zip and signed SHA256SUMS, rolled out to the server', async () => {
    const run = await runAction(rollout('hashicorp-style', { 'gpg-public-key': author.publicKey }));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    expect(provenance(run.outputs)).toMatchObject({
      repository: 'acme/hashicorp-style',
      tag: 'v1.0.1',
      asset: 'acme_1.0.1_linux_amd64.zip',
      binary: 'acme',
      sha256: v101,
      checksums_file: 'acme_1.0.1_SHA256SUMS',
      checksums_cover: ['archive'],
      signature: 'acme_1.0.1_SHA256SUMS.sig',
    });
    expect(provenance(run.outputs).signing_key).toMatch(/^[0-9A-F]{40}$/);
    expect(run.summary).toContain('- Signature: `acme_1.0.1_SHA256SUMS.sig`, good, by key');
    expect(run.outputs['register-command']).toBe(
      `vault plugin register -sha256=${v101} -command=acme-v1.0.1 -version=v1.0.1 secret acme`,
    );
    expect(run.summary).toContain(
      `plugin "secret" "acme" {\n  command     = "acme-v1.0.1"\n  version     = "v1.0.1"\n  binary_name = "acme-v1.0.1"\n  sha256sum   = "${v101}"\n}`,
    );
  });

  it.each([
    [
      'OpenBao style: tar.gz, checksums-linux.txt, a pre-release',
      'openbao-style',
      {
        artifact: 'acme_{version}_{os}_{arch}.tar.gz',
      },
      { checksums_file: 'checksums-linux.txt', checksums_cover: ['archive'] },
    ],
    [
      'raw binaries per platform with SHA256SUMS',
      'raw-style',
      {
        artifact: 'acme-{os}-{arch}',
      },
      { checksums_file: 'SHA256SUMS', format: 'raw' },
    ],
    [
      'a checksums.txt over the binary, not the archive',
      'binary-sums',
      {},
      {
        checksums_file: 'checksums.txt',
        checksums_cover: ['binary'],
      },
    ],
    [
      'no checksums, with the sha256 input',
      'no-sums',
      { sha256: '' },
      {
        checksums_file: '',
        sha256_input_matched: true,
      },
    ],
    [
      'a glob for the asset',
      'hashicorp-style',
      { artifact: 'acme_*_linux_*.zip' },
      {
        asset: 'acme_1.0.1_linux_amd64.zip',
      },
    ],
  ])('%s gives the same binary', async (_title, repo, inputs, expected) => {
    const given = 'sha256' in inputs ? { ...inputs, sha256: v101 } : inputs;
    const mark = await server.auditMark();
    const run = await runAction(rollout(repo, given));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.sha256).toBe(v101);
    expect(provenance(run.outputs)).toMatchObject(expected);
    expect(await server.writesSince(mark)).toEqual([]);
    if (repo === 'openbao-style') expect(run.summary).toContain('(pre-release)');
  });

  it('reads a private repository only with its token', async () => {
    const denied = await runAction(
      rollout('no-sums', { 'github-token': 'ghs_wrong', sha256: v101 }),
    );
    expect(denied.exitCode).toBe(1);
    expect(denied.stdout).toContain(
      '::error title=Artifact check failed — nothing written::release: no release tagged v1.0.1 in acme/no-sums (or the github-token cannot see it)\n',
    );
    const allowed = await runAction(rollout('no-sums', { sha256: v101 }));
    expect(allowed.exitCode, allowed.stdout).toBe(0);
    expect(allowed.masked).toContain(GITHUB_TOKEN);
    expect(allowed.log).not.toContain(GITHUB_TOKEN);
  });

  it('finds the release through a GitHub Enterprise Server API base (/api/v3)', async () => {
    const run = await runAction(
      rollout(
        'on-ghes',
        { artifact: 'acme_{version}_{os}_{arch}.tar.gz' },
        { apiUrl: ghes.apiUrl },
      ),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.sha256).toBe(v101);
    expect(ghes.requests.map((r) => r.path)).toContain(
      '/api/v3/repos/acme/on-ghes/releases/tags/v1.0.1',
    );
  });

  it('follows GitHub to a renamed repository, with its token', async () => {
    github.move('acme/old-name', 'acme/no-sums');
    const run = await runAction(rollout('old-name', { sha256: v101 }));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.sha256).toBe(v101);
    const byTag = github.requests.filter((r) => r.path.endsWith('/releases/tags/v1.0.1'));
    expect(byTag.map((r) => r.path)).toEqual(
      expect.arrayContaining([
        '/repos/acme/old-name/releases/tags/v1.0.1',
        '/repos/acme/no-sums/releases/tags/v1.0.1',
      ]),
    );
    expect(byTag.filter((r) => r.path.includes('no-sums')).at(-1)?.authorization).toBe(
      `token ${GITHUB_TOKEN}`,
    );
  });

  it('finds a draft past the first page of the release list', async () => {
    github.publish({
      ...layoutRelease({
        server: SERVER,
        repo: 'busy',
        name: 'acme',
        version: 'v1.0.1',
        layout: 'no-sums',
      }),
      draft: true,
    });
    for (let i = 0; i < 100; i++) {
      github.publish({ owner: 'acme', repo: 'busy', tag: `v0.0.${String(i)}`, assets: [] });
    }
    const run = await runAction(rollout('busy', { sha256: v101, 'allow-draft': 'true' }));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.sha256).toBe(v101);
    expect(
      github.requests.filter((r) => r.path === '/repos/acme/busy/releases').length,
    ).toBeGreaterThanOrEqual(2);
  });

  it('never sends the github-token to another origin an answer of the API names', async () => {
    const decoy = await startReleaseServer();
    const listing = await startReleaseServer({ token: GITHUB_TOKEN, pageLinks: decoy.apiUrl });
    const tokensSeen = (): string[] =>
      decoy.requests.filter((r) => r.authorization.includes(GITHUB_TOKEN)).map((r) => r.path);
    try {
      // A release whose assets' `url` names another host: the assets are asked of the API itself.
      github.publish({
        ...layoutRelease({
          server: SERVER,
          repo: 'elsewhere',
          name: 'acme',
          version: 'v1.0.1',
          layout: 'no-sums',
        }),
        assetApi: decoy.apiUrl,
      });
      const fromAsset = await runAction(rollout('elsewhere', { sha256: v101 }));
      expect(tokensSeen()).toEqual([]);
      expect(fromAsset.exitCode, fromAsset.stdout).toBe(0);
      expect(fromAsset.outputs.sha256).toBe(v101);

      // A release list whose next page is on another host: followed, without the token.
      listing.publish({
        ...layoutRelease({
          server: SERVER,
          repo: 'paged',
          name: 'acme',
          version: 'v1.0.1',
          layout: 'no-sums',
        }),
        draft: true,
      });
      for (let i = 0; i < 100; i++) {
        listing.publish({ owner: 'acme', repo: 'paged', tag: `v0.0.${String(i)}`, assets: [] });
      }
      const fromLink = await runAction(
        rollout('paged', { sha256: v101, 'allow-draft': 'true' }, { apiUrl: listing.apiUrl }),
      );
      expect(tokensSeen()).toEqual([]);
      expect(decoy.requests.map((r) => r.path)).toContain('/repos/acme/paged/releases');
      expect(fromLink.exitCode).toBe(1);
    } finally {
      await Promise.all([decoy.close(), listing.close()]);
    }
  });

  it("reaches GitHub and the artifact's host through the runner's proxy", async () => {
    const apiUrl = viaLabName(github.apiUrl, 'github');
    const viaRelease = await runAction(
      rollout('no-sums', { sha256: v101 }, { apiUrl, env: { HTTP_PROXY: proxy.url } }),
    );
    expect(viaRelease.exitCode, viaRelease.stdout).toBe(0);
    expect(proxy.tunnels).toContain(new URL(apiUrl).host);

    const artifact = viaLabName(ghes.fileUrl('acme_1.0.1_linux_amd64.tar.gz'), 'mirror');
    const viaUrl = await runAction(
      rollout('no-sums', { artifact, sha256: v101 }, { env: { HTTP_PROXY: proxy.url } }),
    );
    expect(viaUrl.exitCode, viaUrl.stdout).toBe(0);
    expect(viaUrl.outputs.sha256).toBe(v101);
    expect(proxy.tunnels).toContain(new URL(artifact).host);
  });

  it("never sends this machine's own addresses to the proxy", async () => {
    const before = proxy.tunnels.length;
    const run = await runAction(
      rollout('no-sums', { sha256: v101 }, { env: { HTTP_PROXY: proxy.url } }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(proxy.tunnels.slice(before)).toEqual([]);
  });

  it('deploys a draft only when allow-draft is true', async () => {
    const run = await runAction(
      rollout('drafted', { artifact: 'acme_{version}_{os}_{arch}.tar.gz', 'allow-draft': 'true' }),
    );
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.sha256).toBe(v101);
  });

  it('takes a binary an earlier step built, from the workspace', async () => {
    const workspace = join(work, 'workspace');
    await mkdir(join(workspace, 'dist', 'acme_linux_amd64'), { recursive: true });
    await writeFile(
      join(workspace, 'dist', 'acme_linux_amd64', 'acme'),
      await readFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    );
    const run = await runAction(
      rollout(
        'no-sums',
        { artifact: 'dist/acme_{os}_{arch}/acme', sha256: v101 },
        {
          env: { GITHUB_WORKSPACE: workspace },
        },
      ),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(provenance(run.outputs)).toMatchObject({
      source: 'file',
      path: join(workspace, 'dist', 'acme_linux_amd64', 'acme'),
      sha256: v101,
    });
  });

  it('checks the checksums file the checksums input names: a release asset or a workspace file', async () => {
    const plain = layoutRelease({
      server: SERVER,
      repo: 'named-sums',
      name: 'acme',
      version: 'v1.0.1',
      layout: 'no-sums',
    });
    const asset = plain.assets.find((a) => a.name.endsWith('.zip'));
    if (!asset) throw new Error('the no-sums layout has no zip');
    github.publish({
      ...plain,
      assets: [...plain.assets, { name: 'release-digests.list', data: sha256sums([asset]) }],
    });
    const fromRelease = await runAction(
      rollout('named-sums', { checksums: 'release-digests.list' }),
    );
    expect(fromRelease.exitCode, fromRelease.stdout).toBe(0);
    expect(provenance(fromRelease.outputs)).toMatchObject({
      checksums_file: 'release-digests.list',
    });

    const workspace = join(work, 'sums-workspace');
    await mkdir(join(workspace, 'dist'), { recursive: true });
    const binary = await readFile(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
    await writeFile(join(workspace, 'dist', 'acme'), binary);
    await writeFile(
      join(workspace, 'dist', 'digests.txt'),
      sha256sums([{ name: 'acme', data: binary }]),
    );
    const fromFile = await runAction(
      rollout(
        'no-sums',
        { artifact: 'dist/acme', checksums: 'dist/digests.txt' },
        { env: { GITHUB_WORKSPACE: workspace } },
      ),
    );
    expect(fromFile.exitCode, fromFile.stdout).toBe(0);
    expect(provenance(fromFile.outputs)).toMatchObject({ sha256: v101 });

    await writeFile(join(workspace, 'dist', 'digests.txt'), `${'0'.repeat(64)}  acme\n`);
    const mark = await server.auditMark();
    const tampered = await runAction(
      rollout(
        'no-sums',
        { artifact: 'dist/acme', checksums: 'dist/digests.txt' },
        { env: { GITHUB_WORKSPACE: workspace } },
      ),
    );
    expect(tampered.exitCode).toBe(1);
    expect(tampered.errors[0]).toMatch(
      /^checksum mismatch: .*digests\.txt lists acme as sha256 0{64}/,
    );
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('downloads the asset while its checksums file is on the way, unless the tool cache keeps the plugin', async () => {
    const tgz = 'acme_1.0.1_linux_amd64.tar.gz';
    const sums = 'checksums-linux.txt';
    const options = rollout(
      'openbao-style',
      { artifact: 'acme_{version}_{os}_{arch}.tar.gz' },
      { toolCache: join(work, 'tool-cache-early') },
    );
    const askedFor = (name: string, since: number): boolean =>
      github.requests.slice(since).some((r) => r.path.endsWith(`/${name}`));
    /** A run whose checksums file is answered only once `awaited` was asked for, and `linger` ms more. */
    const withSumsHeld = async (awaited: string, linger: number) => {
      const since = github.requests.length;
      const release = github.hold(sums);
      const running = runAction(options);
      let assetBeforeSums: boolean;
      try {
        for (let i = 0; i < 1200 && !askedFor(awaited, since); i++) await sleep(50);
        await sleep(linger);
        assetBeforeSums = askedFor(tgz, since);
      } finally {
        release();
      }
      const run = await running;
      expect(run.exitCode, run.stdout).toBe(0);
      expect(askedFor(sums, since)).toBe(true);
      return { run, assetBeforeSums, assetAtAll: askedFor(tgz, since) };
    };

    // Nothing of the plugin is kept on this runner yet: the asset is on its way before the checksums file.
    expect((await withSumsHeld(tgz, 0)).assetBeforeSums).toBe(true);

    // Now it is: nothing is downloaded before the checksums file names the copy needed, nor after.
    const kept = await withSumsHeld(sums, 500);
    expect(kept.assetBeforeSums).toBe(false);
    expect(kept.assetAtAll).toBe(false);
    expect(kept.run.log).toContain('is kept on this runner; not downloading it again');
  });

  it('keeps the verified archive in the tool cache and does not download it again', async () => {
    const toolCache = join(work, 'tool-cache');
    const first = await runAction(
      rollout('openbao-style', { artifact: 'acme_{version}_{os}_{arch}.tar.gz' }, { toolCache }),
    );
    expect(first.exitCode, first.stdout).toBe(0);
    const archiveSha256 = String(provenance(first.outputs).asset_sha256);
    const downloadsBefore = github.requests.filter((r) => r.path.startsWith('/files/')).length;

    const second = await runAction(
      rollout('openbao-style', { artifact: 'acme_{version}_{os}_{arch}.tar.gz' }, { toolCache }),
    );

    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.log).toContain(
      `tool cache: acme_1.0.1_linux_amd64.tar.gz with sha256 ${archiveSha256} is kept on this runner; not downloading it again`,
    );
    // Only the small checksums file is fetched again.
    expect(
      github.requests.filter((r) => r.path.startsWith('/files/')).length - downloadsBefore,
    ).toBe(1);
    expect(provenance(second.outputs)).toMatchObject({ cached: true, sha256: v101 });
  });
});

interface BadCase {
  title: string;
  repo: string;
  assets: () => ReleaseAsset[];
  inputs?: () => Record<string, string>;
  extra?: () => Partial<RunOptions>;
  error: () => string;
  draft?: boolean;
}

const ZIP = 'acme_1.1.0_linux_amd64.zip';
const TGZ = 'acme_1.1.0_linux_amd64.tar.gz';
const tgz = (members: Parameters<typeof makeTarGz>[0]): ReleaseAsset[] => [
  { name: TGZ, data: makeTarGz(members) },
];
const zip = (members: Parameters<typeof makeZip>[0]): ReleaseAsset[] => [
  { name: ZIP, data: makeZip(members) },
];
const TGZ_INPUT = (): Record<string, string> => ({ artifact: 'acme_{version}_{os}_{arch}.tar.gz' });

const BAD: BadCase[] = [
  {
    title: 'a member named ../acme',
    repo: 'bad-traversal',
    assets: () => zip([{ name: '../acme', data: v110 }]),
    error: () => 'archive member "../acme" points outside the archive',
  },
  {
    title: 'an absolute member path',
    repo: 'bad-absolute',
    assets: () => tgz([{ name: '/usr/local/bin/acme', data: v110 }]),
    inputs: TGZ_INPUT,
    error: () => 'archive member "/usr/local/bin/acme" points outside the archive',
  },
  {
    title: 'a symbolic link out of the archive',
    repo: 'bad-symlink',
    assets: () =>
      tgz([
        { name: 'acme', data: v110 },
        { name: 'lib/x', link: '../../etc/passwd' },
      ]),
    inputs: TGZ_INPUT,
    error: () =>
      'archive member "lib/x" is a symbolic link to "../../etc/passwd", outside the archive',
  },
  {
    title: 'a hard link out of the archive',
    repo: 'bad-hardlink',
    assets: () => tgz([{ name: 'acme', hardLink: '../outside/acme' }]),
    inputs: TGZ_INPUT,
    error: () => 'archive member "acme" is a hard link to "../outside/acme", outside the archive',
  },
  {
    title: 'a decompression bomb',
    repo: 'bad-bomb',
    assets: () => zip([{ name: 'acme', data: Buffer.alloc(8 * 1024 * 1024) }]),
    inputs: () => ({ 'max-size': '4MiB' }),
    error: () =>
      'the archive unpacks to more than max-size (4194304 bytes); raise max-size if this plugin is really that large',
  },
  {
    title: 'an archive of more members than any plugin release',
    repo: 'bad-members',
    assets: () =>
      zip([
        { name: 'acme', data: v110 },
        ...Array.from({ length: 10_000 }, (_, i) => ({
          name: `docs/${i}.txt`,
          data: Buffer.alloc(0),
        })),
      ]),
    error: () => 'the archive holds more than 10000 members; a plugin release holds a handful',
  },
  {
    title: 'an empty download',
    repo: 'bad-empty',
    assets: () => [{ name: ZIP, data: Buffer.alloc(0) }],
    error: () => `download of ${ZIP} is empty (0 bytes)`,
  },
  {
    title: 'an HTML error page served as the asset',
    repo: 'bad-html',
    assets: () => [
      { name: ZIP, data: Buffer.from('<!DOCTYPE html><html><body>Rate limited</body></html>') },
    ],
    error: () => `${ZIP}: the download is an HTML page, not a plugin binary or archive`,
  },
  {
    title: 'a binary for another platform',
    repo: 'bad-platform',
    assets: () => zip([{ name: 'acme', data: withElfMachine(v110, 183) }]),
    error: () =>
      'acme is built for linux/arm64, but the servers are linux/amd64; pick the asset for linux/amd64 or set platform',
  },
  {
    title: 'a file that is no executable',
    repo: 'bad-script',
    assets: () => zip([{ name: 'acme', data: Buffer.from('#!/bin/sh\necho hi\n') }]),
    error: () =>
      'acme is not an executable (no ELF, Mach-O or PE header); the servers need a linux/amd64 plugin binary',
  },
  {
    title: 'an archive with two candidate binaries',
    repo: 'bad-ambiguous',
    assets: () =>
      zip([
        { name: 'plugin-a', data: v110 },
        { name: 'plugin-b', data: v110 },
      ]),
    error: () =>
      'the archive holds several candidate binaries (plugin-a, plugin-b); name one with the binary input',
  },
  {
    title: 'a checksums file that disagrees',
    repo: 'bad-sums',
    assets: () => {
      const asset = { name: ZIP, data: makeZip([{ name: 'acme', data: v110 }]) };
      return [asset, { name: 'SHA256SUMS', data: Buffer.from(`${'0'.repeat(64)}  ${ZIP}\n`) }];
    },
    error: () => {
      const actual = sha256(makeZip([{ name: 'acme', data: v110 }]));
      return `checksum mismatch: SHA256SUMS lists ${ZIP} as sha256 ${'0'.repeat(64)}, but the downloaded archive is ${actual}`;
    },
  },
  {
    title: 'a sha256 input that does not match',
    repo: 'bad-pin',
    assets: () => zip([{ name: 'acme', data: v110 }]),
    inputs: () => ({ sha256: 'f'.repeat(64) }),
    error: () =>
      `sha256: the binary acme has sha256 ${sha256(v110)}, not the ${'f'.repeat(64)} given`,
  },
  {
    title: 'checksums signed by another key',
    repo: 'bad-signer',
    assets: () => {
      const asset = { name: ZIP, data: makeZip([{ name: 'acme', data: v110 }]) };
      const sums = { name: 'acme_1.1.0_SHA256SUMS', data: sha256sums([asset]) };
      return [asset, sums, { name: `${sums.name}.sig`, data: stranger.sign(sums.data) }];
    },
    inputs: () => ({ 'gpg-public-key': author.publicKey }),
    error: () =>
      'signature: acme_1.1.0_SHA256SUMS.sig is not a valid signature of acme_1.1.0_SHA256SUMS by the key in gpg-public-key',
  },
  {
    title: 'a signature missing when a key is given',
    repo: 'bad-unsigned',
    assets: () => {
      const asset = { name: ZIP, data: makeZip([{ name: 'acme', data: v110 }]) };
      return [asset, { name: 'acme_1.1.0_SHA256SUMS', data: sha256sums([asset]) }];
    },
    inputs: () => ({ 'gpg-public-key': author.publicKey }),
    error: () =>
      'gpg-public-key: given, but there is no signature acme_1.1.0_SHA256SUMS.sig (or .asc) beside the checksums file',
  },
  {
    title: 'a draft release without allow-draft',
    repo: 'bad-draft',
    draft: true,
    assets: () => zip([{ name: 'acme', data: v110 }]),
    error: () =>
      'release acme/bad-draft@v1.1.0 is a draft; set allow-draft: true to deploy from an unpublished release',
  },
  {
    title: 'a redirect from https to plain http',
    repo: 'bad-downgrade',
    assets: () => zip([{ name: 'acme', data: v110 }]),
    inputs: () => ({ artifact: `${mirror.url}/acme_{version}_{os}_{arch}.zip` }),
    extra: () => ({ env: { NODE_EXTRA_CA_CERTS: mirror.caFile } }),
    error: () =>
      `download of ${ZIP} was redirected from https to http://${new URL(github.apiUrl).host}; refusing to go on unencrypted`,
  },
];

describe('bad artifacts stop the run before any write', () => {
  it.each(BAD.map((c) => [c.title, c] as const))('%s', async (_title, bad) => {
    const mark = await server.auditMark();
    const run = await runAction(
      rollout(bad.repo, bad.inputs?.() ?? {}, { ref: 'refs/tags/v1.1.0', ...bad.extra?.() }),
    );

    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `::error title=Artifact check failed — nothing written::${bad.error()}\n`,
    );
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({ runningSha256: v101 });
  });
});
