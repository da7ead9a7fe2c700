import { createHash, randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheFile, find } from '@actions/tool-cache';
import { forEachChunk } from './file-chunks.ts';
import type { AssetFile } from './asset-file.ts';

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
   * the bytes copied (which a changed cache makes another); null when none is
   * kept. Fails, saying why, when the entry cannot be copied or holds what no
   * download of this run could: not a regular file, or more than `maxBytes`.
   */
  async take(sha256: string, directory: string, maxBytes: number): Promise<AssetFile | null> {
    let entry: string;
    try {
      entry = find(this.tool, this.version, sha256);
    } catch {
      // A cache that cannot be listed is a cache that holds nothing.
      return null;
    }
    if (!entry) return null;
    const path = join(directory, `cached-${randomUUID()}`);
    try {
      return { ...(await copyHashing(join(entry, FILE), path, maxBytes)), path, temporary: true };
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
  }

  /**
   * Whether any version of the plugin is kept: the tool's directory of the
   * standard layout exists. Only a hint on when to start the download; what
   * is kept is judged by `take` alone.
   */
  async keepsAny(): Promise<boolean> {
    const root = process.env.RUNNER_TOOL_CACHE;
    if (!root) return false;
    try {
      await access(join(root, this.tool));
      return true;
    } catch {
      return false;
    }
  }

  /** Keeps a copy of the file under `sha256`, replacing what was kept there. */
  async keep(path: string, sha256: string): Promise<void> {
    await cacheFile(path, FILE, this.tool, this.version, sha256);
  }
}

/** The copy is what gets used, so what was hashed is what runs, whatever happens to the cache meanwhile. */
async function copyHashing(
  from: string,
  to: string,
  maxBytes: number,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const { source, length } = await openKept(from, maxBytes);
  try {
    const target = await open(to, 'w', 0o600);
    try {
      await forEachChunk(source, 0, length, async (chunk) => {
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

/**
 * Any job on the runner can replace an entry's file: a link to /dev/zero or
 * a huge sparse file would fill the disk, and opening a pipe nobody writes
 * to would wait for ever. So the file is opened without following a link or
 * waiting, and only a regular file within `maxBytes` is read, up to the size
 * it had when opened.
 */
async function openKept(
  path: string,
  maxBytes: number,
): Promise<{ source: FileHandle; length: number }> {
  let source: FileHandle;
  try {
    source = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new Error('it is a symbolic link', { cause: error });
    }
    throw error;
  }
  const info = await source.stat();
  const problem = !info.isFile()
    ? 'it is not a regular file'
    : info.size > maxBytes
      ? `it holds ${String(info.size)} bytes, more than max-size`
      : '';
  if (problem) {
    await source.close();
    throw new Error(problem);
  }
  return { source, length: info.size };
}
