import type { ArtifactSource } from '../config.ts';
import { ArtifactError } from '../errors.ts';
import type { TrustPolicy } from '../trust-config.ts';
import { checkAttestation, type AttestationVerdict } from './attestations.ts';
import { AssetCache } from './cache.ts';
import {
  baseName,
  parseChecksums,
  verifyAgainstChecksums,
  type ChecksumEntry,
  type ChecksumVerdict,
} from './checksums.ts';
import { cacheKey, keepInCache, unpackKept } from './kept-asset.ts';
import { locate, type ArtifactOrigin, type Located } from './locate.ts';
import { verifyDetachedSignature, type SignatureVerdict } from './signature.ts';
import { discardAsset, unpackAsset, type UnpackContext, type Unpacked } from './take-binary.ts';
import type { ArchiveFormat } from './unpack.ts';
import { requireVouched } from './vouch.ts';

export type { ArtifactOrigin } from './locate.ts';

export interface ArtifactFacts {
  origin: ArtifactOrigin;
  asset: string;
  format: ArchiveFormat;
  assetSha256: string;
  /** The binary's path inside the archive, or the asset name for a raw binary. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
  checksums: ChecksumVerdict | null;
  signature: SignatureVerdict | null;
  /** The build provenance check; null when `attestation` is not set. */
  attestation: AttestationVerdict | null;
  /** The `sha256` input was given and matched. */
  pinned: boolean;
  /** Taken from the tool cache instead of downloaded. */
  cached: boolean;
  /** Something vouched for the binary; false only when `allow-unverified` let it through. */
  verified: boolean;
}

export interface FetchContext extends UnpackContext {
  version: string;
  workspace: string;
  /** RUNNER_TOOL_CACHE, which @actions/tool-cache reads for itself; empty disables caching. */
  toolCache: string;
  /** GITHUB_API_URL, for attestations of assets not taken from a release. */
  githubApiUrl: string;
}

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
  const located = await locate(source, trust, ctx);
  const signature = await checkSignature(located, trust, ctx);
  const entries = located.sums
    ? parseChecksums(located.sums.data.toString('utf8'), located.asset)
    : [];
  // A file on the runner is read where it is; only downloads are worth keeping.
  const key =
    ctx.toolCache && located.origin.kind !== 'file'
      ? cacheKey(entries, located.asset, trust, ctx.pluginName)
      : null;
  const cache = key ? new AssetCache(ctx.pluginName, ctx.version) : null;
  const kept = cache && key ? await unpackKept(cache, key, located, trust, ctx) : null;
  const unpacked = kept ?? (await unpackAsset(await located.fetchAsset(), located, trust, ctx));
  try {
    const checksums = located.sums
      ? checkSums(located.sums.name, entries, located.asset, unpacked)
      : null;
    if (checksums) ctx.log(`${checksums.file} confirms the ${checksums.covers.join(' and ')}`);
    if (trust.sha256 && trust.sha256 !== unpacked.sha256) {
      throw new ArtifactError(
        `sha256: the binary ${unpacked.binaryName} has sha256 ${unpacked.sha256}, not the ${trust.sha256} given`,
      );
    }
    if (trust.sha256) ctx.log(`sha256 input matches the binary`);
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
