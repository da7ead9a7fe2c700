import { rm } from 'node:fs/promises';
import type { ArtifactSource } from '../../inputs/release.ts';
import type { TrustPolicy } from '../../inputs/trust.ts';
import { checkAttestation } from '../trust/attestation.ts';
import { checkBinaryPin } from '../binary-pin.ts';
import type { ArtifactFacts, FetchContext } from '../facts.ts';
import type { GitHubAccess } from '../../github/api.ts';
import { requireVouched } from '../vouch.ts';
import { credentialFor } from './credentials.ts';
import { pullImage } from './pull.ts';
import { describeReference } from '../../inputs/image-reference.ts';

/**
 * The plugin binary out of an OCI image, with the same checks as a release
 * asset's once it is out: the `sha256` input, and the build provenance
 * attestation, which for an image is about its digest.
 */
export async function fetchImage(
  source: Extract<ArtifactSource, { kind: 'oci' }>,
  trust: TrustPolicy,
  ctx: FetchContext,
  attestations: GitHubAccess & { repository: string },
): Promise<ArtifactFacts> {
  const ref = source.reference;
  const credential = await credentialFor(ref.registry, {
    githubToken: source.githubToken,
    githubActor: source.githubActor,
    dockerConfig: source.dockerConfig,
    mask: ctx.mask,
    log: ctx.log,
  });
  const shown = describeReference(ref);
  ctx.log(
    `pulling ${shown} for ${ctx.platform.os}/${ctx.platform.arch}, ${credential ? `with the credential from ${credential.source}` : 'anonymously'}`,
  );
  const image = await pullImage(ref, credential, {
    platform: ctx.platform,
    workDirectory: ctx.workDirectory,
    maxBytes: trust.maxBytes,
    binary: trust.binary,
    mask: ctx.mask,
    log: ctx.log,
  });
  try {
    checkBinaryPin(trust, image.binaryName, image.sha256, ctx.log);
    const name = `${ref.registry}/${ref.repository}`;
    const attestation = await checkAttestation(trust, {
      ...attestations,
      asset: `${name}@${image.digest}`,
      assetSha256: image.digest.replace(/^sha256:/, ''),
      log: ctx.log,
    });
    const pinned = trust.sha256 !== '';
    const verified = requireVouched(
      shown,
      { checksums: null, pinned: pinned || ref.digest !== '', attestation },
      trust,
      'image',
    );
    return {
      origin: {
        kind: 'oci',
        image: name,
        tag: ref.tag,
        digest: image.digest,
        manifestDigest: image.manifestDigest,
        platform: image.platform,
      },
      asset: shown,
      format: 'oci image',
      assetSha256: image.digest.replace(/^sha256:/, ''),
      binaryName: image.binaryName,
      binaryPath: image.binaryPath,
      sha256: image.sha256,
      checksums: null,
      signature: null,
      attestation,
      pinned,
      cached: false,
      verified,
    };
  } catch (error) {
    await rm(image.binaryPath, { force: true });
    throw error;
  }
}
