import { rm } from 'node:fs/promises';
import { discardLeadingMember, type LeadingMember } from './archives/leading-member.ts';

/** The artifact on the runner's disk, hashed; `temporary` when it was downloaded for this run. */
export interface AssetFile {
  path: string;
  sha256: string;
  size: number;
  temporary: boolean;
  /** Its first zip member, inflated while it downloaded. */
  leading?: Promise<LeadingMember | null>;
}

export async function discardAsset(asset: AssetFile): Promise<void> {
  await discardLeadingMember(asset.leading);
  if (asset.temporary) await rm(asset.path, { force: true });
}

/**
 * The asset's download. Started with `early`, it runs while the checksums
 * file and signature are read, so their round trips overlap it; otherwise it
 * starts when the asset is asked for. Whoever locates the asset ends it with
 * `file` (the download is used) or `drop` (it is not: a kept copy served, or
 * a check failed first).
 */
export interface AssetDownload {
  /** The downloaded asset, or the download's error. */
  file(): Promise<AssetFile>;
  /** Stops a download still running and removes a temporary file nobody took; a no-op after `file`. */
  drop(): Promise<void>;
}

export function assetDownload(
  fetch: (signal: AbortSignal) => Promise<AssetFile>,
  early: boolean,
): AssetDownload {
  const stop = new AbortController();
  let running: Promise<AssetFile> | null = null;
  const start = (): Promise<AssetFile> => {
    running = fetch(stop.signal);
    // Judged by `file` or `drop`; until then a failure is only held.
    running.catch(() => undefined);
    return running;
  };
  if (early) void start();
  let taken = false;
  return {
    file() {
      taken = true;
      return running ?? start();
    },
    async drop() {
      if (taken) return;
      taken = true;
      stop.abort();
      const asset = await running?.catch(() => null);
      if (asset) await discardAsset(asset);
    },
  };
}
