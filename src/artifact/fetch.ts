import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactSource } from '../config.ts';
import { ArtifactError } from '../errors.ts';
import type { Platform } from '../platform.ts';
import type { TrustPolicy } from '../trust-config.ts';
import { unpackArchive } from './archive.ts';
import { checkAttestation, type AttestationVerdict } from './attestations.ts';
import { BinaryCache, type CachedFacts } from './cache.ts';
import {
  parseChecksums,
  verifyAgainstChecksums,
  type ChecksumEntry,
  type ChecksumVerdict,
} from './checksums.ts';
import { checkPlatform, EXECUTABLE_HEAD_BYTES } from './executable.ts';
import { locate, type ArtifactOrigin, type Located } from './locate.ts';
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
  /** The runner's tool cache; empty disables caching. */
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
  const cache = ctx.toolCache ? new BinaryCache(ctx.toolCache, ctx.pluginName, ctx.version) : null;
  const hit = await cache?.find({
    sha256: trust.sha256 || undefined,
    assetSha256: entries.find((e) => e.name === located.asset)?.sha256,
  });
  let facts: CachedFacts & { binaryPath: string };
  if (hit) {
    ctx.log(
      `tool cache: ${ctx.pluginName} ${ctx.version} with binary sha256 ${hit.sha256} is already verified on this runner; not downloading ${located.asset} again`,
    );
    facts = hit;
  } else {
    facts = await downloadAndUnpack(located, trust, ctx);
  }
  const checksums = located.sums
    ? checkSums(located.sums.name, entries, located.asset, facts)
    : null;
  if (checksums) ctx.log(`${checksums.file} confirms the ${checksums.covers.join(' and ')}`);
  if (trust.sha256 && trust.sha256 !== facts.sha256) {
    throw new ArtifactError(
      `sha256: the binary ${facts.binaryName} has sha256 ${facts.sha256}, not the ${trust.sha256} given`,
    );
  }
  if (trust.sha256) ctx.log(`sha256 input matches the binary`);
  if (!checksums && !trust.sha256) {
    ctx.log('no checksums file and no sha256 input: the binary is trusted on the transport alone');
  }
  const attestation = await checkAttestation(trust, {
    ...attestationStore(source, trust, ctx),
    asset: located.asset,
    assetSha256: facts.assetSha256,
    log: ctx.log,
  });
  const binaryPath = !hit && cache ? await storeInCache(cache, facts, ctx) : facts.binaryPath;
  return {
    origin: located.origin,
    asset: located.asset,
    format: facts.format,
    assetSha256: facts.assetSha256,
    binaryName: facts.binaryName,
    binaryPath,
    sha256: facts.sha256,
    checksums,
    signature,
    attestation,
    pinned: trust.sha256 !== '',
    cached: hit !== null && hit !== undefined,
  };
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

async function downloadAndUnpack(
  located: Located,
  trust: TrustPolicy,
  ctx: FetchContext,
): Promise<CachedFacts & { binaryPath: string }> {
  const asset = await located.fetchAsset();
  const unpacked = join(ctx.workDirectory, `unpack-${randomUUID()}`);
  try {
    const head = await readHead(asset.path, EXECUTABLE_HEAD_BYTES);
    const format = detectFormat(head);
    let binaryName = located.asset;
    let binary = { path: asset.path, sha256: asset.sha256, head };
    if (format === 'raw') {
      refuseErrorPage(head, located.asset);
    } else {
      await mkdir(unpacked);
      const members = fileMembers(
        await unpackArchive(asset.path, format, trust.maxBytes, unpacked),
      );
      const member = pickBinary(members, ctx.pluginName, trust.binary);
      binaryName = member.path;
      // An empty member was never written, and is no executable either.
      const memberHead =
        member.file.size > 0
          ? await readHead(member.file.path, EXECUTABLE_HEAD_BYTES)
          : Buffer.alloc(0);
      binary = { path: member.file.path, sha256: member.file.sha256, head: memberHead };
    }
    checkPlatform(binaryName, binary.head, ctx.platform);
    ctx.log(
      `${located.asset}: ${format}, ${asset.size} bytes, sha256 ${asset.sha256}; binary ${binaryName}: sha256 ${binary.sha256}`,
    );
    const binaryPath = join(ctx.workDirectory, `binary-${randomUUID()}`);
    // A file of the archive or a download of this run is moved, never copied; the user's own file is copied.
    if (binary.path !== asset.path || asset.temporary) await rename(binary.path, binaryPath);
    else await copyFile(binary.path, binaryPath);
    await chmod(binaryPath, 0o755);
    return {
      asset: located.asset,
      assetSha256: asset.sha256,
      format,
      binaryName,
      sha256: binary.sha256,
      binaryPath,
    };
  } finally {
    await rm(unpacked, { recursive: true, force: true });
    if (asset.temporary) await rm(asset.path, { force: true });
  }
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
  facts: CachedFacts,
): ChecksumVerdict {
  return verifyAgainstChecksums(
    file,
    entries,
    { name: asset, sha256: facts.assetSha256 },
    { name: facts.binaryName.replace(/^.*\//, ''), sha256: facts.sha256 },
  );
}

async function storeInCache(
  cache: BinaryCache,
  facts: CachedFacts & { binaryPath: string },
  ctx: FetchContext,
): Promise<string> {
  const { binaryPath, ...kept } = facts;
  try {
    const cached = await cache.store(binaryPath, kept);
    ctx.log(`tool cache: kept the verified binary for the next run of ${ctx.version}`);
    return cached;
  } catch (error) {
    ctx.log(
      `tool cache: could not keep the binary (${error instanceof Error ? error.message : String(error)})`,
    );
    return binaryPath;
  }
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
