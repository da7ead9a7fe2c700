import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactSource } from '../config.ts';
import { ArtifactError } from '../errors.ts';
import type { Platform } from '../platform.ts';
import type { TrustPolicy } from '../trust-config.ts';
import { unpackArchive } from './archive.ts';
import { checkAttestation, type AttestationVerdict } from './attestations.ts';
import { AssetCache } from './cache.ts';
import {
  baseName,
  parseChecksums,
  verifyAgainstChecksums,
  type ChecksumEntry,
  type ChecksumVerdict,
} from './checksums.ts';
import { checkPlatform, EXECUTABLE_HEAD_BYTES } from './executable.ts';
import { locate, type ArtifactOrigin, type AssetFile, type Located } from './locate.ts';
import { verifyDetachedSignature, type SignatureVerdict } from './signature.ts';
import { detectFormat, fileMembers, pickBinary, type ArchiveFormat } from './unpack.ts';

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
}

export interface FetchContext {
  pluginName: string;
  version: string;
  platform: Platform;
  workDirectory: string;
  workspace: string;
  /** RUNNER_TOOL_CACHE, which @actions/tool-cache reads for itself; empty disables caching. */
  toolCache: string;
  /** GITHUB_API_URL, for attestations of assets not taken from a release. */
  githubApiUrl: string;
  log: (line: string) => void;
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
    if (!checksums && !trust.sha256) {
      ctx.log(
        'no checksums file and no sha256 input: the binary is trusted on the transport alone',
      );
    }
    const attestation = await checkAttestation(trust, {
      ...attestationStore(source, trust, ctx),
      asset: located.asset,
      assetSha256: unpacked.asset.sha256,
      log: ctx.log,
    });
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
      pinned: trust.sha256 !== '',
      cached: kept !== null,
    };
  } finally {
    await discardAsset(unpacked.asset);
  }
}

/** What verified data says the tool cache must hold, before anything is downloaded. */
interface CacheKey {
  sha256: string;
  /** Whose hash it is: the asset's own, or the binary's inside it. */
  of: 'asset' | 'binary';
}

/**
 * Assets are kept under a hash the run's verified data names: the checksums
 * file's entry for the asset, else the binary's hash from the `sha256` input
 * or from the checksums file's entry under the binary's expected name. Without
 * one, the cache is not used: nothing else could vouch for what it holds.
 */
function cacheKey(
  entries: readonly ChecksumEntry[],
  asset: string,
  trust: TrustPolicy,
  pluginName: string,
): CacheKey | null {
  const listed = (name: string): string | null => {
    const hashes = [...new Set(entries.filter((e) => e.name === name).map((e) => e.sha256))];
    return hashes.length === 1 ? (hashes[0] ?? null) : null;
  };
  const assetHash = listed(asset);
  if (assetHash) return { sha256: assetHash, of: 'asset' };
  const names = trust.binary ? [baseName(trust.binary)] : [pluginName, `${pluginName}.exe`];
  const binaryHash = trust.sha256 || names.map(listed).find((hash) => hash !== null);
  return binaryHash ? { sha256: binaryHash, of: 'binary' } : null;
}

/**
 * The asset kept under the key, unpacked as if just downloaded, when it
 * still is what the key names: the copy taken out of the cache must hash to
 * the asset's hash, or the binary unpacked from it to the binary's.
 */
async function unpackKept(
  cache: AssetCache,
  key: CacheKey,
  located: Located,
  trust: TrustPolicy,
  ctx: FetchContext,
): Promise<Unpacked | null> {
  const miss = (why: string): null => {
    ctx.log(`tool cache: ${why}; downloading ${located.asset}`);
    return null;
  };
  let asset: AssetFile | null;
  try {
    asset = await cache.take(key.sha256, ctx.workDirectory, trust.maxBytes);
  } catch (error) {
    return miss(`the copy kept for sha256 ${key.sha256} cannot be used (${messageOf(error)})`);
  }
  if (!asset) return null;
  if (key.of === 'asset' && asset.sha256 !== key.sha256) {
    await discardAsset(asset);
    return miss(`the copy kept for sha256 ${key.sha256} has sha256 ${asset.sha256}`);
  }
  let unpacked: Unpacked;
  try {
    unpacked = await unpackAsset(asset, located, trust, ctx);
  } catch (error) {
    return miss(`the copy kept for sha256 ${key.sha256} cannot be used (${messageOf(error)})`);
  }
  if (key.of === 'binary' && unpacked.sha256 !== key.sha256) {
    await discardAsset(unpacked.asset);
    await rm(unpacked.binaryPath, { force: true });
    return miss(
      `the copy kept for binary sha256 ${key.sha256} holds a binary with sha256 ${unpacked.sha256}`,
    );
  }
  ctx.log(
    `tool cache: ${located.asset} with sha256 ${asset.sha256} is kept on this runner; not downloading it again`,
  );
  return unpacked;
}

async function keepInCache(
  cache: AssetCache,
  key: CacheKey,
  name: string,
  unpacked: Unpacked,
  ctx: FetchContext,
): Promise<void> {
  // The key is only worth keeping under when this asset satisfies it.
  const hash = key.of === 'asset' ? unpacked.asset.sha256 : unpacked.sha256;
  if (hash !== key.sha256) return;
  try {
    await cache.keep(unpacked.asset.path, key.sha256);
    ctx.log(`tool cache: kept ${name} for the next run of ${ctx.version}`);
  } catch (error) {
    ctx.log(`tool cache: could not keep ${name} (${messageOf(error)})`);
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

/** The asset on disk, its format, and the binary taken out of it into the work directory. */
interface Unpacked {
  /** The asset as downloaded or taken from the cache; for a raw binary, the binary itself. */
  asset: AssetFile;
  format: ArchiveFormat;
  /** The binary's path inside the archive, or the asset name for a raw binary. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
}

async function unpackAsset(
  asset: AssetFile,
  located: Located,
  trust: TrustPolicy,
  ctx: FetchContext,
): Promise<Unpacked> {
  const unpacked = join(ctx.workDirectory, `unpack-${randomUUID()}`);
  const binaryPath = join(ctx.workDirectory, `binary-${randomUUID()}`);
  try {
    const head = await readHead(asset.path, EXECUTABLE_HEAD_BYTES);
    const format = detectFormat(head);
    if (format === 'raw') {
      refuseErrorPage(head, located.asset);
      checkPlatform(located.asset, head, ctx.platform);
      logAsset(located.asset, format, asset, located.asset, asset.sha256, ctx);
      // A download of this run is moved, never copied, and from then on is the binary; the user's own file is copied.
      if (asset.temporary) await rename(asset.path, binaryPath);
      else await copyFile(asset.path, binaryPath);
      await chmod(binaryPath, 0o755);
      return {
        asset: asset.temporary ? { ...asset, path: binaryPath, temporary: false } : asset,
        format,
        binaryName: located.asset,
        binaryPath,
        sha256: asset.sha256,
      };
    }
    await mkdir(unpacked);
    const members = fileMembers(await unpackArchive(asset.path, format, trust.maxBytes, unpacked));
    const member = pickBinary(members, ctx.pluginName, trust.binary);
    // An empty member was never written, and is no executable either.
    const binaryHead =
      member.file.size > 0
        ? await readHead(member.file.path, EXECUTABLE_HEAD_BYTES)
        : Buffer.alloc(0);
    checkPlatform(member.path, binaryHead, ctx.platform);
    logAsset(located.asset, format, asset, member.path, member.file.sha256, ctx);
    await rename(member.file.path, binaryPath);
    await chmod(binaryPath, 0o755);
    return {
      asset,
      format,
      binaryName: member.path,
      binaryPath,
      sha256: member.file.sha256,
    };
  } catch (error) {
    await discardAsset(asset);
    throw error;
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}

function logAsset(
  name: string,
  format: ArchiveFormat,
  asset: AssetFile,
  binaryName: string,
  binarySha256: string,
  ctx: FetchContext,
): void {
  ctx.log(
    `${name}: ${format}, ${asset.size} bytes, sha256 ${asset.sha256}; binary ${binaryName}: sha256 ${binarySha256}`,
  );
}

/** Removes a download or a copy taken from the cache; never the user's own file. */
async function discardAsset(asset: AssetFile): Promise<void> {
  if (asset.temporary) await rm(asset.path, { force: true });
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path);
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A proxy or a wrong URL often answers 200 with an HTML page; that is never a plugin. */
function refuseErrorPage(data: Buffer, asset: string): void {
  const text = data.subarray(0, 256).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) {
    throw new ArtifactError(
      `${asset}: the download is an HTML page, not a plugin binary or archive`,
    );
  }
}
