import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArchiveEntry } from '../../../src/artifact/archives/unpacking.ts';
import { parseChallenge, realmProblem } from '../../../src/artifact/oci/challenge.ts';
import { credentialFor } from '../../../src/artifact/oci/credentials.ts';
import { lookInLayer } from '../../../src/artifact/oci/layers.ts';
import { binaryPath, parseConfig, pickPlatform } from '../../../src/artifact/oci/manifest.ts';
import { parseImageReference, registryOrigin } from '../../../src/inputs/image-reference.ts';
import { openBaoImageBlock } from '../../../src/report/image-provenance.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  it.each([
    ['oci://ghcr.io/acme/acme-plugin:v1.2.3', 'ghcr.io', 'acme/acme-plugin', 'v1.2.3', ''],
    [`oci://GHCR.io/acme/plugin@${DIGEST}`, 'ghcr.io', 'acme/plugin', '', DIGEST],
    [`oci://localhost:5000/a/b/c:1.0@${DIGEST}`, 'localhost:5000', 'a/b/c', '1.0', DIGEST],
    ['oci://127.0.0.1:5000/acme/x__y-z:latest', '127.0.0.1:5000', 'acme/x__y-z', 'latest', ''],
  ])('%s', (input, registry, repository, tag, digest) => {
    expect(parseImageReference(input, input)).toEqual({ registry, repository, tag, digest });
  });

  it.each([
    ['oci://acme/plugin:v1', '"acme" is not a registry host such as ghcr.io or localhost:5000'],
    ['oci://ghcr.io/acme/plugin', 'it names neither a tag nor a digest'],
    ['oci://ghcr.io/Acme/plugin:v1', '"Acme/plugin" is not a repository'],
    ['oci://ghcr.io/acme/plugin:', '"" is not a tag'],
    ['oci://ghcr.io/acme/plugin@sha256:abc', '"sha256:abc" is not sha256: and 64 hex digits'],
    ['oci://ghcr.io', 'no repository after the registry'],
  ])('refuses %s', (input, why) => {
    expect(() => parseImageReference(input, 'TEMPLATE')).toThrow(
      `artifact: "TEMPLATE" is not an image reference (${why}`,
    );
  });

  it('speaks plain http only to a registry on this machine', () => {
    expect(registryOrigin('localhost:5000')).toBe('http://localhost:5000');
    expect(registryOrigin('127.0.0.1:5000')).toBe('http://127.0.0.1:5000');
    expect(registryOrigin('[::1]:5000')).toBe('http://[::1]:5000');
    expect(registryOrigin('10.0.0.5:5000')).toBe('https://10.0.0.5:5000');
    expect(registryOrigin('ghcr.io')).toBe('https://ghcr.io');
  });
});

describe('token challenges', () => {
  it('reads quoted parameters holding commas and escaped quotes', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://ghcr.io/token",service=ghcr.io,scope="repository:a/b:pull,push",note="say \\"hi\\""',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://ghcr.io/token',
        service: 'ghcr.io',
        scope: 'repository:a/b:pull,push',
        note: 'say "hi"',
      },
    });
  });

  it.each([
    ['https://auth.docker.io/token', 'https://registry-1.docker.io', ''],
    ['https://ghcr.io/token', 'https://ghcr.io', ''],
    ['http://127.0.0.1:5000/token', 'http://127.0.0.1:5000', ''],
    ['http://auth.example.com/token', 'https://registry.example.com', 'is not https'],
    ['https://127.0.0.1:9/token', 'http://127.0.0.1:5000', 'an internal address'],
    ['https://169.254.169.254/latest', 'https://registry.example.com', 'an internal address'],
    ['https://10.1.2.3/token', 'https://registry.example.com', 'an internal address'],
    ['https://[::1]:8443/token', 'https://registry.example.com', 'an internal address'],
    ['https://[fe80::1]/token', 'https://registry.example.com', 'an internal address'],
    ['https://8.8.8.8/token', 'https://registry.example.com', ''],
  ])('a realm %s named by %s', (realm, registry, problem) => {
    const found = realmProblem(realm, registry);
    if (problem) expect(found).toContain(problem);
    else expect(found).toBe('');
  });
});

function file(path: string): ArchiveEntry {
  return { path, kind: 'file', mode: 0o755, link: '', file: null };
}

describe('layers, read from the top', () => {
  it('finds the file at the path', () => {
    expect(lookInLayer([file('README.md'), file('bin/acme')], 'bin/acme')).toMatchObject({
      kind: 'file',
      entry: { path: 'bin/acme' },
    });
  });

  it.each([
    ['a whiteout of the file', ['bin/.wh.acme']],
    ['a whiteout of its directory', ['.wh.bin']],
    ['an opaque whiteout of its directory', ['bin/.wh..wh..opq']],
    ['an opaque whiteout of the root', ['.wh..wh..opq']],
  ])('is deleted by %s', (_what, paths) => {
    expect(lookInLayer(paths.map(file), 'bin/acme')).toEqual({ kind: 'deleted' });
  });

  it('is absent where only a sibling is whited out', () => {
    expect(lookInLayer([file('bin/.wh.acme-old'), file('.wh.binaries')], 'bin/acme')).toEqual({
      kind: 'absent',
    });
  });

  it('refuses a link where the binary should be', () => {
    expect(() =>
      lookInLayer([{ ...file('acme'), kind: 'symlink', link: '/etc/passwd' }], 'acme'),
    ).toThrow("artifact: the image's acme is a symbolic link, not a file");
  });
});

describe('platform manifests and the binary’s name', () => {
  const index = {
    kind: 'index' as const,
    manifests: [
      {
        mediaType: '',
        digest: 'sha256:1',
        size: 1,
        platform: { os: 'linux', architecture: 'arm64' },
      },
      { mediaType: '', digest: 'sha256:2', size: 1, platform: null },
      {
        mediaType: '',
        digest: 'sha256:3',
        size: 1,
        platform: { os: 'linux', architecture: 'amd64' },
      },
    ],
  };

  it('takes the first match, an entry without a platform counting as linux/amd64', () => {
    expect(pickPlatform(index, { os: 'linux', arch: 'amd64' }, 'x').digest).toBe('sha256:2');
    expect(pickPlatform(index, { os: 'linux', arch: 'arm64' }, 'x').digest).toBe('sha256:1');
  });

  it('names what the index has when nothing matches', () => {
    expect(() => pickPlatform(index, { os: 'darwin', arch: 'arm64' }, 'img')).toThrow(
      'artifact: img has no manifest for darwin/arm64; it has linux/arm64, linux/amd64;',
    );
  });

  const config = (c: object): ReturnType<typeof parseConfig> =>
    parseConfig(Buffer.from(JSON.stringify(c)), 'cfg');

  it('takes the binary input, else ENTRYPOINT, else CMD, relative to the root', () => {
    const both = config({ config: { Entrypoint: ['/usr/bin/acme', '-x'], Cmd: ['/other'] } });
    expect(binaryPath(both, '', 'img')).toEqual({ path: 'usr/bin/acme', from: 'its ENTRYPOINT' });
    expect(binaryPath(config({ config: { Cmd: ['./acme'] } }), '', 'img')).toEqual({
      path: 'acme',
      from: 'its CMD',
    });
    expect(binaryPath(both, 'bin/acme', 'img').path).toBe('bin/acme');
  });

  it('refuses a name outside the image, or none at all', () => {
    expect(() =>
      binaryPath(config({ config: { Entrypoint: ['../../etc/x'] } }), '', 'img'),
    ).toThrow('artifact: its ENTRYPOINT names ../../etc/x, which is not a file in the image');
    expect(() => binaryPath(config({ config: null }), '', 'img')).toThrow(
      'artifact: img sets no ENTRYPOINT or CMD to name its plugin binary; name it with the binary input',
    );
  });
});

describe('registry credentials', () => {
  let dir = '';
  const lines: string[] = [];
  const masked: string[] = [];
  const sources = (
    dockerConfig: string,
    githubToken = '',
  ): Parameters<typeof credentialFor>[1] => ({
    githubToken,
    githubActor: 'octocat',
    dockerConfig,
    mask: (s) => masked.push(s),
    log: (l) => lines.push(l),
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'oci-unit-'));
    await writeFile(
      join(dir, 'config.json'),
      JSON.stringify({
        auths: {
          'https://registry.example.com/v1/': {
            auth: Buffer.from('robot:s3cret:with-colon').toString('base64'),
          },
          'quay.io': { username: 'q', password: 'qpass' },
        },
        credHelpers: { 'gcr.io': 'gcloud' },
      }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('gives ghcr.io the github-token', async () => {
    expect(await credentialFor('ghcr.io', sources(dir, 'ghs_x'))).toEqual({
      user: 'octocat',
      password: 'ghs_x',
      source: 'github-token',
    });
  });

  it('reads docker login’s entries, keyed by host or URL, and masks the password', async () => {
    expect(await credentialFor('registry.example.com', sources(dir))).toEqual({
      user: 'robot',
      password: 's3cret:with-colon',
      source: join(dir, 'config.json'),
    });
    expect(await credentialFor('quay.io', sources(dir))).toMatchObject({ user: 'q' });
    expect(masked).toEqual(expect.arrayContaining(['s3cret:with-colon', 'qpass']));
  });

  it('asks anonymously without an entry, and says so for a credential helper', async () => {
    expect(await credentialFor('gcr.io', sources(dir))).toBeNull();
    expect(lines.at(-1)).toContain('leaves gcr.io');
    expect(await credentialFor('ghcr.io', sources(join(dir, 'none')))).toBeNull();
  });
});

describe('OpenBao’s plugin stanza for an image', () => {
  const registration = {
    pluginType: 'secret',
    pluginName: 'acme',
    version: 'v1.2.3',
    command: 'acme-v1.2.3',
    sha256: 'f'.repeat(64),
  };
  const origin = (tag: string) => ({
    kind: 'oci' as const,
    image: 'ghcr.io/acme/acme-plugin',
    tag,
    digest: DIGEST,
    manifestDigest: DIGEST,
    platform: 'linux/amd64',
  });

  it('uses the tag as the version when the tag spells the version', () => {
    expect(openBaoImageBlock(registration, origin('1.2.3'), 'acme')).toBe(
      `plugin "secret" "acme" {\n  image       = "ghcr.io/acme/acme-plugin"\n  version     = "1.2.3"\n  binary_name = "acme"\n  sha256sum   = "${'f'.repeat(64)}"\n}`,
    );
  });

  it('says the image must carry the version as a tag when its tag is another', () => {
    expect(openBaoImageBlock(registration, origin('latest'), 'acme')).toContain(
      '  version     = "v1.2.3"\n',
    );
    expect(openBaoImageBlock(registration, origin('latest'), 'acme')).toContain(
      '# OpenBao pulls ghcr.io/acme/acme-plugin:v1.2.3: the image must also be tagged v1.2.3',
    );
  });
});
