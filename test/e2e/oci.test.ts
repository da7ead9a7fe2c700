import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { startBlobStore, type BlobStore } from '../../lab/oci/blob-store.ts';
import { startChallengingRegistry, type HostileRegistry } from '../../lab/oci/hostile-registry.ts';
import { dockerConfigJson, makeCrane, type Crane } from '../../lab/oci/images.ts';
import { pushPluginImages, type PluginImages } from '../../lab/oci/plugin-images.ts';
import { startRegistry, type Registry } from '../../lab/oci/registry.ts';
import { altered, startTamperingFront, type TamperingFront } from '../../lab/oci/tamper.ts';
import { startTokenService, type TokenService } from '../../lab/oci/token-service.ts';
import { sha256 } from '../../lab/archives.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startRecorder, type Recorder } from '../../lab/redirector.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { makeSigstore, type Sigstore } from '../../lab/sigstore.ts';

const SERVER = serverUnderTest();

const GITHUB_TOKEN = 'ghs_ocitesttoken0123456789';
const DEPLOYER = { user: 'deployer', password: 'deployer-registry-password-1' };
const REVOKED = { user: 'revoked', password: 'revoked-registry-password-2' };
const RELEASE_WORKFLOW = 'acme/images/.github/workflows/release.yml';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const MOUNTS = ['single', 'multi', 'entry', 'named', 'private', 'attested'];

let server: LabServer;
let work: string;
/** Anonymous pulls, as a public ghcr.io package. */
let registry: Registry;
/** Token auth, blobs sent on to `blobs`, as ghcr.io serves a private package. */
let privateRegistry: Registry;
let tokens: TokenService;
let blobs: BlobStore;
let front: TamperingFront;
/** Names `elsewhere` as its token service, with credentials for it in `hostileConfig`. */
let hostile: HostileRegistry;
let elsewhere: Recorder;
let hostileConfig = '';
let crane: Crane;
let github: ReleaseServer;
let sigstore: Sigstore;
let images: PluginImages;
let privateImage = '';
let privateConfig = '';
let deployerConfig = '';
let revokedConfig = '';
let v101 = '';
let v110 = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'lab-oci-'));
  [server, registry, tokens, github, sigstore] = await Promise.all([
    startServer(SERVER),
    startRegistry(),
    startTokenService(work, {
      [DEPLOYER.user]: DEPLOYER.password,
      [REVOKED.user]: REVOKED.password,
    }),
    startReleaseServer(),
    makeSigstore(),
  ]);
  tokens.refuse(REVOKED.user);
  blobs = await startBlobStore(() => privateRegistry.storage);
  privateRegistry = await startRegistry({ tokens, redirectBlobsTo: blobs.url });
  crane = await makeCrane({ [privateRegistry.host]: DEPLOYER });
  images = await pushPluginImages(crane, registry.host, SERVER);
  await crane.pushImage({
    registry: privateRegistry.host,
    repository: 'acme/private',
    tag: 'v1.0.1',
    layers: [[{ name: 'acme', data: await readFixture('v1.0.1') }]],
    entrypoint: ['/acme'],
    platform: 'linux/amd64',
  });
  privateImage = `oci://${privateRegistry.host}/acme/private:v1.0.1`;
  privateConfig =
    (await crane.manifest(`${privateRegistry.host}/acme/private:v1.0.1`)).config?.digest ?? '';
  front = await startTamperingFront(registry.url, [images.singleLayerDigest, images.single.digest]);
  elsewhere = await startRecorder();
  hostile = await startChallengingRegistry(`${elsewhere.url}/token`);
  hostileConfig = await dockerConfigDir('hostile', { [hostile.host]: DEPLOYER });
  deployerConfig = await dockerConfigDir('deployer', { [privateRegistry.host]: DEPLOYER });
  revokedConfig = await dockerConfigDir('revoked', { [privateRegistry.host]: REVOKED });
  const name = `${registry.host}/acme/single`;
  const digest = images.single.digest.replace('sha256:', '');
  github.attest(
    'acme/images',
    digest,
    await sigstore.attest(
      { name, sha256: digest },
      { workflow: RELEASE_WORKFLOW, ref: 'refs/tags/v1.0.1' },
    ),
  );
  v101 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1'));
  v110 = await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.1.0'));
  await installPlugin(server, 'secret', 'acme', 'secrets', 'v1.0.0');
  for (const mount of MOUNTS) await enableMount(server, 'secret', mount, 'acme', 'v1.0.0');
}, 120_000);

afterAll(async () => {
  await Promise.all([
    server.stop(),
    registry.stop(),
    privateRegistry.stop(),
    tokens.close(),
    blobs.close(),
    front.close(),
    hostile.close(),
    elsewhere.close(),
    crane.close(),
    github.close(),
    sigstore.remove(),
  ]);
  await rm(work, { recursive: true, force: true });
});

function readFixture(version: string): Promise<Buffer> {
  return readFile(fixtureBinary(SERVER, 'secrets', version));
}

async function dockerConfigDir(
  name: string,
  auths: Record<string, { user: string; password: string }>,
): Promise<string> {
  const dir = join(work, `docker-${name}`);
  await mkdir(dir);
  await writeFile(join(dir, 'config.json'), dockerConfigJson(auths));
  return dir;
}

function rollout(
  artifact: string,
  mount: string,
  version: string,
  inputs: Record<string, string> = {},
  extra: Partial<RunOptions> = {},
): RunOptions {
  return {
    ref: `refs/tags/${version}`,
    apiUrl: github.apiUrl,
    repository: 'acme/images',
    ...extra,
    inputs: {
      url: server.address,
      token: server.token,
      'github-token': GITHUB_TOKEN,
      'plugin-name': 'acme',
      artifact,
      'plugin-directory': server.pluginDir,
      mounts: mount,
      platform: 'linux/amd64',
      ...vouchedBy(artifact, version, inputs),
      ...inputs,
    },
  };
}

/**
 * A tag alone vouches for nothing (the registry says what it holds), so a
 * rollout by tag names the binary's sha256, as a release workflow that
 * pushed the image knows it; a pinned digest or an attestation vouches itself.
 */
function vouchedBy(
  artifact: string,
  version: string,
  inputs: Record<string, string>,
): Record<string, string> {
  if (artifact.includes('@sha256:') || inputs.attestation || 'allow-unverified' in inputs)
    return {};
  return { sha256: version === 'v1.1.0' ? v110 : v101 };
}

function provenance(outputs: Record<string, string>): Record<string, unknown> {
  return JSON.parse(outputs.provenance ?? '{}') as Record<string, unknown>;
}

/** What a registry answers for a path, as a client with no credential reads it. */
async function registryBytes(path: string, accept = '*/*'): Promise<Buffer> {
  const answer = await fetch(`${registry.url}${path}`, { headers: { accept } });
  if (!answer.ok) throw new Error(`${path}: HTTP ${answer.status}`);
  return Buffer.from(await answer.arrayBuffer());
}

describe('plugins published as OCI images, rolled out', () => {
  it('a single-platform image whose CMD names the binary; the summary gives OpenBao’s plugin stanza', async () => {
    const run = await runAction(rollout(images.single.artifact, 'single', 'v1.0.1'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'single')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    expect(provenance(run.outputs)).toMatchObject({
      source: 'oci',
      image: images.single.image,
      image_tag: 'v1.0.1',
      image_digest: images.single.digest,
      manifest_digest: images.single.digest,
      image_platform: 'linux/amd64',
      format: 'oci image',
      binary: 'acme',
      sha256: v101,
    });
    expect(run.summary).toContain(
      `- Image \`${images.single.image}:v1.0.1\` (oci image), digest \`${images.single.digest}\``,
    );
    expect(run.summary).toContain(
      `plugin "secret" "acme" {\n  image       = "${images.single.image}"\n  version     = "v1.0.1"\n  binary_name = "acme"\n  sha256sum   = "${v101}"\n}`,
    );
  });

  it('a multi-platform index: the linux/amd64 manifest is picked', async () => {
    const index = await crane.manifest(`${images.multi.image}:v1.1.0`);
    const amd64 = index.manifests?.find((m) => m.platform?.architecture === 'amd64')?.digest;
    const run = await runAction(rollout(images.multi.artifact, 'multi', 'v1.1.0'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'multi')).toMatchObject({
      version: 'v1.1.0',
      runningSha256: v110,
    });
    expect(provenance(run.outputs)).toMatchObject({
      image_digest: images.multi.digest,
      manifest_digest: amd64,
      image_platform: 'linux/amd64',
      sha256: v110,
    });
    expect(run.summary).toContain(`- Manifest for \`linux/amd64\`: \`${amd64 ?? ''}\``);
  });

  it('an image whose ENTRYPOINT names the binary: the top layer’s file, not the base layer’s', async () => {
    const run = await runAction(rollout(images.entrypoint.artifact, 'entry', 'v1.0.1'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'entry')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    expect(provenance(run.outputs)).toMatchObject({ binary: 'usr/local/bin/acme-plugin' });
    expect(run.summary).toContain('  binary_name = "usr/local/bin/acme-plugin"\n');
  });

  it('an image with no ENTRYPOINT or CMD, its binary named with the binary input', async () => {
    const run = await runAction(
      rollout(images.named.artifact, 'named', 'v1.0.1', { binary: 'acme' }),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'named')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    expect(provenance(run.outputs)).toMatchObject({ binary: 'acme', sha256: v101 });
  });

  it('a private image behind token auth, with docker login’s credential; the blob host never gets it', async () => {
    const asked = tokens.requests.length;
    const stored = blobs.requests.length;
    const run = await runAction(
      rollout(privateImage, 'private', 'v1.0.1', {}, { env: { DOCKER_CONFIG: deployerConfig } }),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'private')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: v101,
    });
    const basic = `Basic ${Buffer.from(`${DEPLOYER.user}:${DEPLOYER.password}`).toString('base64')}`;
    expect(tokens.requests.slice(asked).map((r) => r.authorization)).toContain(basic);
    const sentOn = blobs.requests.slice(stored);
    expect(sentOn.filter((r) => r.method === 'GET').length).toBeGreaterThanOrEqual(2);
    expect(sentOn.map((r) => r.authorization)).toEqual(sentOn.map(() => ''));
    expect(run.masked).toContain(DEPLOYER.password);
  });

  it('a pinned digest: the manifest it names is what is rolled out', async () => {
    const pinned = `oci://${images.single.image}@${images.single.digest}`;
    const run = await runAction(rollout(pinned, 'single', 'v1.0.1'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(provenance(run.outputs)).toMatchObject({
      image_digest: images.single.digest,
      image_tag: '',
    });
    expect(run.summary).toContain(
      `# OpenBao pulls ${images.single.image}:v1.0.1: the image must also be tagged v1.0.1`,
    );
  });

  it('attestation: required, checked against the image digest with the release-asset signer policy', async () => {
    const run = await runAction(
      rollout(images.single.artifact, 'attested', 'v1.0.1', {
        attestation: 'required',
        'attestation-signer': `${RELEASE_WORKFLOW}@refs/tags/*`,
        'attestation-trusted-root': sigstore.trustedRootFile,
      }),
    );

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'attested')).toMatchObject({ runningSha256: v101 });
    expect(provenance(run.outputs)).toMatchObject({
      attestation: 'verified',
      attestation_signer: `https://github.com/${RELEASE_WORKFLOW}@refs/tags/v1.0.1`,
    });
    expect(github.requests.map((r) => decodeURIComponent(r.path))).toContain(
      `/repos/acme/images/attestations/${images.single.digest}`,
    );
  });
});

interface BadCase {
  title: string;
  options: () => RunOptions;
  error: () => string | Promise<string>;
  stage?: string;
  before?: () => void;
  after?: () => void;
}

const BAD: BadCase[] = [
  {
    title: 'a tag with nothing that vouches for what it names',
    options: () => rollout(images.single.artifact, 'single', 'v1.0.1', { 'allow-unverified': '' }),
    error: () =>
      `artifact: nothing vouches for ${images.single.image}:v1.0.1: a tag only, no sha256 and no attestation; pin the image with @sha256:DIGEST, give the binary's sha256, or set attestation: required — or set allow-unverified: true to deploy it unverified`,
  },
  {
    title: 'a tag the registry does not have',
    options: () => rollout(`oci://${images.single.image}:v9.9.9`, 'single', 'v9.9.9'),
    error: () =>
      `artifact: ${registry.host} has no tag v9.9.9 in acme/single (HTTP 404); check the tag the release workflow pushed`,
  },
  {
    title: 'an index with no manifest for the platform',
    options: () => rollout(images.armOnly.artifact, 'single', 'v1.1.0'),
    error: () =>
      `artifact: ${images.multi.image}:arm-only (an image index) has no manifest for linux/amd64; it has linux/arm64, darwin/arm64; set platform to the servers' OS/ARCH or push an image for it`,
  },
  {
    title: 'a layer whose content does not match its digest',
    options: () => rollout(`oci://${front.host}/acme/single:v1.0.1`, 'single', 'v1.1.0'),
    error: async () => {
      const layer = altered(
        await registryBytes(`/v2/acme/single/blobs/${images.singleLayerDigest}`),
      );
      return `artifact: layer ${images.singleLayerDigest} of ${front.host}/acme/single:v1.0.1 does not match its digest: the registry sent ${layer.length} bytes with sha256:${sha256(layer)}; refusing the image`;
    },
  },
  {
    title: 'a pinned digest the registry answers with another manifest',
    options: () =>
      rollout(`oci://${front.host}/acme/single@${images.single.digest}`, 'single', 'v1.1.0'),
    error: async () => {
      const manifest = altered(
        await registryBytes(`/v2/acme/single/manifests/${images.single.digest}`, OCI_MANIFEST),
      );
      return `artifact: ${front.host} answered ${front.host}/acme/single@${images.single.digest} with a manifest whose digest is sha256:${sha256(manifest)}, not the pinned ${images.single.digest}`;
    },
  },
  {
    title: 'a layer over max-size',
    options: () => rollout(images.single.artifact, 'single', 'v1.1.0', { 'max-size': '1MiB' }),
    error: async () => {
      const layer = (await crane.manifest(`${images.single.image}:v1.0.1`)).layers?.[0];
      return `artifact: layer ${images.singleLayerDigest} of ${images.single.image}:v1.0.1 is ${layer?.size ?? 0} bytes, more than max-size (1048576 bytes); raise max-size if this plugin is really that large`;
    },
  },
  {
    title: 'an image that names no binary, without the binary input',
    options: () => rollout(images.named.artifact, 'single', 'v1.1.0'),
    error: () =>
      `artifact: ${images.named.image}:v1.0.1 sets no ENTRYPOINT or CMD to name its plugin binary; name it with the binary input`,
  },
  {
    title: 'a token service that refuses the credential',
    options: () =>
      rollout(privateImage, 'single', 'v1.1.0', {}, { env: { DOCKER_CONFIG: revokedConfig } }),
    error: () =>
      `artifact: the token service ${tokens.host} refused the credential from ${join(revokedConfig, 'config.json')} for acme/private (HTTP 401)`,
  },
  {
    title: 'a registry that refuses the token its token service gave',
    before: () => tokens.forge(true),
    after: () => tokens.forge(false),
    options: () =>
      rollout(privateImage, 'single', 'v1.1.0', {}, { env: { DOCKER_CONFIG: deployerConfig } }),
    error: () =>
      `artifact: ${privateRegistry.host} refused the token from its token service (credential from ${join(deployerConfig, 'config.json')}) for acme/private (HTTP 401)`,
  },
  {
    title: 'a redirect to a blob host that wants the registry’s token, which is never sent there',
    before: () => blobs.demandCredentials(true),
    after: () => blobs.demandCredentials(false),
    options: () =>
      rollout(privateImage, 'single', 'v1.1.0', {}, { env: { DOCKER_CONFIG: deployerConfig } }),
    error: () =>
      `artifact: reading the image configuration ${privateConfig} failed: HTTP 401 from ${blobs.host}`,
  },
  {
    title: 'a registry whose challenge names a token service at another internal address',
    options: () =>
      rollout(
        `oci://${hostile.host}/acme/plugin:v1.1.0`,
        'single',
        'v1.1.0',
        {},
        {
          env: { DOCKER_CONFIG: hostileConfig },
        },
      ),
    error: () =>
      `artifact: ${hostile.host} is not asked for a token: its token service ${elsewhere.host} is an internal address on another host than the registry`,
  },
  {
    title: 'a checksums input, which an image has no use for',
    stage: 'Bad input — nothing written',
    options: () => rollout(images.single.artifact, 'single', 'v1.1.0', { checksums: 'SHA256SUMS' }),
    error: () =>
      'checksums: not used with an oci:// artifact; an image is checked against the digests of its manifests and layers (pin one with @sha256:DIGEST)',
  },
  {
    title: 'a reference with neither tag nor digest',
    stage: 'Bad input — nothing written',
    options: () => rollout(`oci://${images.single.image}`, 'single', 'v1.1.0'),
    error: () =>
      `artifact: "oci://${images.single.image}" is not an image reference (it names neither a tag nor a digest); use oci://REGISTRY/REPOSITORY:TAG or oci://REGISTRY/REPOSITORY@sha256:DIGEST, e.g. oci://ghcr.io/acme/acme-plugin:v{version}`,
  },
];

describe('bad images stop the run with one line, before any write', () => {
  it.each(BAD.map((c) => [c.title, c] as const))('%s', async (_title, bad) => {
    const mark = await server.auditMark();
    const before = await liveMount(server, 'secret', 'single');
    const storedBefore = blobs.requests.length;
    bad.before?.();
    let run;
    try {
      run = await runAction(bad.options());
    } finally {
      bad.after?.();
    }

    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.stdout).toContain(
      `::error title=${bad.stage ?? 'Artifact check failed — nothing written'}::${await bad.error()}\n`,
    );
    expect(run.errors).toHaveLength(1);
    expect(await server.writesSince(mark)).toEqual([]);
    expect(await liveMount(server, 'secret', 'single')).toEqual(before);
    expect(blobs.requests.slice(storedBefore).map((r) => r.authorization)).toEqual(
      blobs.requests.slice(storedBefore).map(() => ''),
    );
    expect(elsewhere.received).toEqual([]);
  });
});
