import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../src/artifact/hash.ts';
import { sha256 } from '../../lab/archives.ts';
import { fixtureBinary } from '../../lab/paths.ts';
import { startReleaseServer, type ReleaseServer } from '../../lab/release-server.ts';
import { assetTemplate, pluginRelease } from '../../lab/releases.ts';
import { runAction, type RunOptions } from '../../lab/runner.ts';
import { enableMount, installPlugin, liveMount } from '../../lab/seed.ts';
import { serverUnderTest, startServer, type LabServer } from '../../lab/server.ts';
import { makeSigstore, type Sigstore } from '../../lab/sigstore.ts';

const SERVER = serverUnderTest();

const PLUGIN = 'acme';
const RELEASE_WORKFLOW = '.github/workflows/release.yml';

let server: LabServer;
let github: ReleaseServer;
let sigstore: Sigstore;
/** Another Sigstore instance, whose trusted root vouches for none of the lab's attestations. */
let stranger: Sigstore;
const assets = new Map<string, { name: string; sha256: string }>();

/** Publishes v<version> of the plugin in acme/<repo> and returns its asset. */
function publish(repo: string, version: string): { name: string; sha256: string } {
  const release = pluginRelease({
    server: SERVER,
    repo,
    name: PLUGIN,
    kind: 'secrets',
    version,
    format: 'zip',
  });
  github.publish(release);
  const [asset] = release.assets;
  if (!asset) throw new Error('pluginRelease made no asset');
  const facts = { name: asset.name, sha256: sha256(asset.data) };
  assets.set(`${repo}@${version}`, facts);
  return facts;
}

beforeAll(async () => {
  [server, github, sigstore, stranger] = await Promise.all([
    startServer(SERVER),
    startReleaseServer(),
    makeSigstore(),
    makeSigstore(),
  ]);
  await installPlugin(server, 'secret', PLUGIN, 'secrets', 'v1.0.0');
  await enableMount(server, 'secret', 'acme', PLUGIN, 'v1.0.0');

  const attested = publish('attested', 'v1.0.1');
  github.attest(
    'acme/attested',
    attested.sha256,
    await sigstore.attest(attested, {
      workflow: `acme/attested/${RELEASE_WORKFLOW}`,
      ref: 'refs/tags/v1.0.1',
    }),
  );
  const nightly = publish('wrong-signer', 'v1.1.0');
  github.attest(
    'acme/wrong-signer',
    nightly.sha256,
    await sigstore.attest(nightly, {
      workflow: 'acme/wrong-signer/.github/workflows/nightly.yml',
      ref: 'refs/heads/main',
    }),
  );
  // A genuine provenance of another build, filed under this asset's digest.
  const mismatched = publish('mismatch', 'v1.1.0');
  github.attest(
    'acme/mismatch',
    mismatched.sha256,
    await sigstore.attest(
      { name: mismatched.name, sha256: 'e'.repeat(64) },
      { workflow: `acme/mismatch/${RELEASE_WORKFLOW}`, ref: 'refs/tags/v1.1.0' },
    ),
  );
  publish('unattested', 'v1.1.0');
}, 60_000);

afterAll(async () => {
  await Promise.all([server.stop(), github.close(), sigstore.remove(), stranger.remove()]);
});

function rollout(repo: string, version: string, inputs: Record<string, string> = {}): RunOptions {
  return {
    ref: `refs/tags/${version}`,
    repository: `acme/${repo}`,
    apiUrl: github.apiUrl,
    inputs: {
      url: server.address,
      token: server.token,
      'github-token': 'ghs_attestationtest0123456789',
      'plugin-name': PLUGIN,
      artifact: assetTemplate(PLUGIN, 'zip'),
      'plugin-directory': server.pluginDir,
      mounts: 'acme',
      attestation: 'required',
      'attestation-signer': `acme/${repo}/${RELEASE_WORKFLOW}@refs/tags/*`,
      'attestation-trusted-root': sigstore.trustedRootFile,
      ...inputs,
    },
  };
}

function asset(repo: string, version: string): { name: string; sha256: string } {
  const found = assets.get(`${repo}@${version}`);
  if (!found) throw new Error(`no asset published for ${repo}@${version}`);
  return found;
}

describe('GitHub artifact attestations, verified offline against a local Sigstore', () => {
  it('rolls out an asset whose build provenance verifies, and names the signer', async () => {
    const run = await runAction(rollout('attested', 'v1.0.1'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({
      version: 'v1.0.1',
      runningSha256: await sha256File(fixtureBinary(SERVER, 'secrets', 'v1.0.1')),
    });
    const signer = `https://github.com/acme/attested/${RELEASE_WORKFLOW}@refs/tags/v1.0.1`;
    expect(JSON.parse(run.outputs.provenance ?? '{}')).toMatchObject({
      asset_sha256: asset('attested', 'v1.0.1').sha256,
      attestation: 'verified',
      attestation_signer: signer,
    });
    expect(run.summary).toContain(
      `- Attestation: build provenance (\`https://slsa.dev/provenance/v1\`) verified, signed by \`${signer}\``,
    );
    expect(github.requests.map((r) => decodeURIComponent(r.path))).toContain(
      `/repos/acme/attested/attestations/sha256:${asset('attested', 'v1.0.1').sha256}`,
    );
  });

  it.each([
    [
      'a signer workflow other than attestation-signer',
      'wrong-signer',
      () => ({}),
      () =>
        `attestation-signer: the attestation was signed by acme/wrong-signer/.github/workflows/nightly.yml@refs/heads/main, not by acme/wrong-signer/${RELEASE_WORKFLOW}@refs/tags/*`,
    ],
    [
      'a provenance about another digest',
      'mismatch',
      () => ({}),
      () => {
        const { name, sha256: digest } = asset('mismatch', 'v1.1.0');
        return `attestation: the provenance is about ${name} sha256 ${'e'.repeat(64)}, not ${name} (sha256 ${digest})`;
      },
    ],
    [
      'no attestation when one is required',
      'unattested',
      () => ({}),
      () => {
        const { name, sha256: digest } = asset('unattested', 'v1.1.0');
        return `attestation: required, but acme/unattested has no build provenance attestation for ${name} (sha256 ${digest})`;
      },
    ],
    [
      'a trusted root that does not hold the signing authority',
      'attested',
      () => ({ 'attestation-trusted-root': stranger.trustedRootFile }),
      () => 'attestation: the bundle does not verify against attestation-trusted-root',
    ],
  ])('refuses %s, before any write', async (_title, repo, inputs, error) => {
    const version = repo === 'attested' ? 'v1.0.1' : 'v1.1.0';
    const mark = await server.auditMark();

    const run = await runAction(rollout(repo, version, inputs()));

    expect(run.exitCode, run.stdout).toBe(1);
    const errors = run.log.split('\n').filter((line) => line.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(
      `::error title=Artifact check failed — nothing written::${error()}`,
    );
    expect(await server.writesSince(mark)).toEqual([]);
  });

  it('goes on without an attestation when it is optional, and says so', async () => {
    const mark = await server.auditMark();
    const run = await runAction(rollout('unattested', 'v1.1.0', { attestation: 'optional' }));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.log).toContain(
      `attestation: acme/unattested has no build provenance attestation for ${asset('unattested', 'v1.1.0').name}; continuing, as attestation is optional`,
    );
    expect(run.summary).toContain(
      '- Attestation: none published in acme/unattested (optional, not required)',
    );
    expect(JSON.parse(run.outputs.provenance ?? '{}')).toMatchObject({ attestation: 'absent' });
    expect((await server.writesSince(mark)).length).toBeGreaterThan(0);
    expect(await liveMount(server, 'secret', 'acme')).toMatchObject({ version: 'v1.1.0' });
  });

  it('lets a verified attestation alone vouch for a release without checksums', async () => {
    const release = pluginRelease({
      server: SERVER,
      repo: 'attested-only',
      name: PLUGIN,
      kind: 'secrets',
      version: 'v1.0.1',
      format: 'zip',
      sums: false,
    });
    github.publish(release);
    const [zip] = release.assets;
    if (!zip) throw new Error('pluginRelease made no asset');
    const digest = sha256(zip.data);
    github.attest(
      'acme/attested-only',
      digest,
      await sigstore.attest(
        { name: zip.name, sha256: digest },
        { workflow: `acme/attested-only/${RELEASE_WORKFLOW}`, ref: 'refs/tags/v1.0.1' },
      ),
    );

    const run = await runAction(rollout('attested-only', 'v1.0.1'));

    expect(run.exitCode, run.stdout).toBe(0);
    expect(JSON.parse(run.outputs.provenance ?? '{}')).toMatchObject({
      checksums_file: '',
      attestation: 'verified',
      verified: true,
    });
    expect(run.stdout).not.toContain('::warning');
  });

  it('refuses a release without checksums when the optional attestation is absent, before any write', async () => {
    github.publish(
      pluginRelease({
        server: SERVER,
        repo: 'bare-unattested',
        name: PLUGIN,
        kind: 'secrets',
        version: 'v1.1.0',
        format: 'zip',
        sums: false,
      }),
    );
    const mark = await server.auditMark();

    const run = await runAction(rollout('bare-unattested', 'v1.1.0', { attestation: 'optional' }));

    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "artifact: nothing vouches for acme_1.1.0_linux_amd64.zip: no checksums file, no sha256, no signature and no attestation (acme/bare-unattested has none, and attestation is optional); publish a checksums file with the release or name one with checksums, give the binary's sha256, sign the checksums file and give gpg-public-key, or set attestation: required — or set allow-unverified: true to deploy it unverified",
    ]);
    expect(await server.writesSince(mark)).toEqual([]);
  });
});
