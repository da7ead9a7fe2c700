import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheFile, find } from '@actions/tool-cache';
import { forEachChunk } from './file-chunks.ts';
import type { AssetFile } from './locate.ts';

/** An entry's one file: the asset as it was downloaded. */
const FILE = 'artifact';

/**
 * Verified release assets, archives and raw binaries alike, in the runner's
 * tool cache and its standard layout:
 * `$RUNNER_TOOL_CACHE/vault-plugin-rollout-<name>/<version>/<sha256>/artifact`,
 * where the tool cache's architecture level holds the SHA-256 that the
 * run's verified data gave. Nothing is kept beside the file, and nothing
 * read back is believed: `take` hashes the bytes as it copies them out of
 * the cache, and the caller holds that hash, or the hash of the binary
 * unpacked from them, to the verified data again.
 */
export class AssetCache {
  private readonly tool: string;
  private readonly version: string;

  constructor(pluginName: string, version: string) {
    this.tool = `vault-plugin-rollout-${pluginName}`;
    this.version = version;
  }

  /**
   * A copy, in `directory`, of the file kept under `sha256`, with the hash of
   * the bytes copied (which a changed cache makes another); null when none is kept.
   */
  async take(sha256: string, directory: string): Promise<AssetFile | null> {
    const path = join(directory, `cached-${randomUUID()}`);
    try {
      const entry = find(this.tool, this.version, sha256);
      if (!entry) return null;
      return { ...(await copyHashing(join(entry, FILE), path)), path, temporary: true };
    } catch {
      // A cache that cannot be read is a cache that holds nothing.
      await rm(path, { force: true });
      return null;
    }
  }

  /** Keeps a copy of the file under `sha256`, replacing what was kept there. */
  async keep(path: string, sha256: string): Promise<void> {
    await cacheFile(path, FILE, this.tool, this.version, sha256);
  }
}

/** The copy is what gets used, so what was hashed is what runs, whatever happens to the cache meanwhile. */
async function copyHashing(from: string, to: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const source = await open(from);
  try {
    const target = await open(to, 'w', 0o600);
    try {
      await forEachChunk(source, 0, Infinity, async (chunk) => {
        hash.update(chunk);
        size += chunk.length;
        let written = 0;
        while (written < chunk.length) {
          written += (await target.write(chunk, written)).bytesWritten;
        }
      });
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
  return { sha256: hash.digest('hex'), size };
}
