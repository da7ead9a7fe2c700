import type { ArtifactSource } from '../inputs/release.ts';
import { ArtifactError } from '../domain/errors.ts';
import type { TrustPolicy } from '../inputs/trust.ts';
import { checkAttestation } from './trust/attestation.ts';
import type { ArtifactFacts, FetchContext } from './facts.ts';
import { checkBinaryPin } from './binary-pin.ts';
import { AssetCache } from './cache.ts';
import {
  baseName,
  parseChecksums,
  verifyAgainstChecksums,
  type ChecksumEntry,
  type ChecksumVerdict,
} from './trust/checksums.ts';
import { cacheKey, keepInCache, unpackKept } from './kept-asset.ts';
import { locate, type Located } from './locate.ts';
import { fetchImage } from './oci/fetch-image.ts';
import { verifyDetachedSignature, type SignatureVerdict } from './trust/signature.ts';
import { discardAsset } from './asset-file.ts';
import { unpackAsset, type Unpacked } from './take-binary.ts';
import { requireVouched } from './vouch.ts';

export type { ArtifactOrigin } from './locate.ts';

/**
 * Finds, downloads, checks and unpacks the artifact. Every check — signature,
 * checksums, the `sha256` input, archive safety, the binary's platform —
 * happens here, before the caller talks to the server at all.
 */
export async function fetchArtifact(
  source: ArtifactSource,
  trust: TrustPolicy,
  ctx: FetchContext,
): Promise<ArtifactFacts> {
  if (source.kind === 'oci') {
    return fetchImage(source, trust, ctx, attestationStore(source, trust, ctx));
  }
  // A file on the runner is read where it is; only downloads are worth keeping.
  const cache =
    ctx.toolCache && source.kind !== 'file' ? new AssetCache(ctx.pluginName, ctx.version) : null;
  // A first rollout of the plugin on this runner has nothing kept to wait for.
  const downloadEarly = !(cache && (await cache.keepsAny()));
  const located = await locate(source, trust, { ...ctx, downloadEarly });
  const { signature, entries, key, kept, unpacked } = await takeAsset(located, cache, trust, ctx);
  try {
    const checksums = located.sums
      ? checkSums(located.sums.name, entries, located.asset, unpacked)
      : null;
    if (checksums) ctx.log(`${checksums.file} confirms the ${checksums.covers.join(' and ')}`);
    checkBinaryPin(trust, unpacked.binaryName, unpacked.sha256, ctx.log);
    const attestation = await checkAttestation(trust, {
      ...attestationStore(source, trust, ctx),
      asset: located.asset,
      assetSha256: unpacked.asset.sha256,
      log: ctx.log,
    });
    const pinned = trust.sha256 !== '';
    const verified = requireVouched(located.asset, { checksums, pinned, attestation }, trust);
    if (cache && key && !kept) await keepInCache(cache, key, located.asset, unpacked, ctx);
    return {
      origin: located.origin,
      asset: located.asset,
      format: unpacked.format,
      assetSha256: unpacked.asset.sha256,
      binaryName: unpacked.binaryName,
      binaryPath: unpacked.binaryPath,
      sha256: unpacked.sha256,
      checksums,
      signature,
      attestation,
      pinned,
      cached: kept !== null,
      verified,
    };
  } finally {
    await discardAsset(unpacked.asset);
  }
}

/**
 * The asset unpacked, from the tool cache when a kept copy still is what the
 * verified data names, else from the download started when it was located;
 * that download ends here either way.
 */
async function takeAsset(
  located: Located,
  cache: AssetCache | null,
  trust: TrustPolicy,
  ctx: FetchContext,
) {
  try {
    const signature = await checkSignature(located, trust, ctx);
    const entries = located.sums
      ? parseChecksums(located.sums.data.toString('utf8'), located.asset)
      : [];
    const key = cache ? cacheKey(entries, located.asset, trust, ctx.pluginName) : null;
    const kept = cache && key ? await unpackKept(cache, key, located, trust, ctx) : null;
    const unpacked =
      kept ?? (await unpackAsset(await located.download.file(), located, trust, ctx));
    return { signature, entries, key, kept, unpacked };
  } finally {
    await located.download.drop();
  }
}

/** Attestations live with the repository that built the asset: the release's, else the signer's. */
function attestationStore(
  source: ArtifactSource,
  trust: TrustPolicy,
  ctx: FetchContext,
): { apiUrl: string; githubToken: string; repository: string } {
  if (source.kind === 'release') {
    return {
      apiUrl: source.apiUrl,
      githubToken: source.githubToken,
      repository: `${source.owner}/${source.repo}`,
    };
  }
  const repository = (trust.attestationSigner?.workflow ?? '').split('/').slice(0, 2).join('/');
  return { apiUrl: ctx.githubApiUrl, githubToken: source.githubToken, repository };
}

async function checkSignature(
  located: Located,
  trust: TrustPolicy,
  ctx: FetchContext,
): Promise<SignatureVerdict | null> {
  if (!trust.gpgPublicKey) {
    if (located.signature) {
      ctx.log(`${located.signature.name} not checked: no gpg-public-key given`);
    }
    return null;
  }
  if (!located.sums) {
    throw new ArtifactError(
      `gpg-public-key: given, but ${located.asset} comes with no checksums file to check a signature on; name one with checksums`,
    );
  }
  if (!located.signature) {
    throw new ArtifactError(
      `gpg-public-key: given, but there is no signature ${located.sums.name}.sig (or .asc) beside the checksums file`,
    );
  }
  const verdict = await verifyDetachedSignature({
    publicKey: trust.gpgPublicKey,
    signed: located.sums,
    signature: located.signature,
    workDirectory: ctx.workDirectory,
  });
  ctx.log(`${verdict.file}: good signature of ${located.sums.name} by key ${verdict.fingerprint}`);
  return verdict;
}

function checkSums(
  file: string,
  entries: readonly ChecksumEntry[],
  asset: string,
  unpacked: Unpacked,
): ChecksumVerdict {
  return verifyAgainstChecksums(
    file,
    entries,
    { name: asset, sha256: unpacked.asset.sha256 },
    { name: baseName(unpacked.binaryName), sha256: unpacked.sha256 },
  );
}
