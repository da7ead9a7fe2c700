// The tool cache as far as verified data vouches for it: which hash an asset
// is kept under, and a kept asset taken out and proven again before use.
import { rm } from 'node:fs/promises';
import type { TrustPolicy } from '../inputs/trust.ts';
import type { AssetCache } from './cache.ts';
import { baseName, type ChecksumEntry } from './trust/checksums.ts';
import { discardAsset, type AssetFile } from './asset-file.ts';
import type { Located } from './locate.ts';
import { unpackAsset, type UnpackContext, type Unpacked } from './take-binary.ts';

/** What verified data says the tool cache must hold, before anything is downloaded. */
export interface CacheKey {
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
export function cacheKey(
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
export async function unpackKept(
  cache: AssetCache,
  key: CacheKey,
  located: Located,
  trust: TrustPolicy,
  ctx: UnpackContext,
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

export async function keepInCache(
  cache: AssetCache,
  key: CacheKey,
  name: string,
  unpacked: Unpacked,
  ctx: UnpackContext & { version: string },
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
