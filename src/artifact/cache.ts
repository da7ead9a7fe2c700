import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256File } from './hash.ts';
import type { ArchiveFormat } from './unpack.ts';

/** What was learned about a binary when it was verified, kept beside it in the cache. */
export interface CachedFacts {
  asset: string;
  assetSha256: string;
  format: ArchiveFormat;
  binaryName: string;
  sha256: string;
}

export interface CacheHit extends CachedFacts {
  binaryPath: string;
}

const BINARY = 'plugin';
const FACTS = 'facts.json';

/**
 * Verified binaries in the runner's tool cache under
 * `vault-plugin-rollout/<name>/<version>/<sha256>/`, so a re-run or a
 * rollback on a self-hosted runner skips the download. An entry is only
 * used for a hash the run already trusts, and the file is hashed again
 * before use, so a damaged or altered cache is a miss, never a wrong binary.
 */
export class BinaryCache {
  private readonly dir: string;

  constructor(toolCache: string, name: string, version: string) {
    this.dir = join(toolCache, 'vault-plugin-rollout', name, version);
  }

  async find(want: { sha256?: string; assetSha256?: string }): Promise<CacheHit | null> {
    if (!want.sha256 && !want.assetSha256) return null;
    let hashes: string[];
    try {
      hashes = await readdir(this.dir);
    } catch {
      return null;
    }
    for (const hash of hashes) {
      if (!/^[0-9a-f]{64}$/.test(hash)) continue;
      let facts: CachedFacts;
      try {
        facts = JSON.parse(await readFile(join(this.dir, hash, FACTS), 'utf8')) as CachedFacts;
      } catch {
        continue;
      }
      const matches =
        (want.sha256 !== undefined && facts.sha256 === want.sha256) ||
        (want.assetSha256 !== undefined && facts.assetSha256 === want.assetSha256);
      if (!matches || facts.sha256 !== hash) continue;
      const binaryPath = join(this.dir, hash, BINARY);
      try {
        if ((await sha256File(binaryPath)) !== hash) continue;
      } catch {
        continue;
      }
      return { ...facts, binaryPath };
    }
    return null;
  }

  /**
   * Moves the run's verified binary into the cache and returns its new path.
   * Writes to a staging directory and renames it in place, so a half-written
   * entry is never found.
   */
  async store(binaryPath: string, facts: CachedFacts): Promise<string> {
    const final = join(this.dir, facts.sha256);
    const staging = join(this.dir, `.staging-${randomUUID()}`);
    const staged = join(staging, BINARY);
    await mkdir(staging, { recursive: true });
    try {
      await moveFile(binaryPath, staged);
      try {
        await chmod(staged, 0o755);
        await writeFile(join(staging, FACTS), JSON.stringify(facts, null, 2));
        await rm(final, { recursive: true, force: true });
        await rename(staging, final);
      } catch (error) {
        // The run goes on with the binary where it was, so it must be there.
        await moveFile(staged, binaryPath);
        throw error;
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return join(final, BINARY);
  }
}

/** A rename where the run's files and the cache share a file system, which is instant; a copy elsewhere. */
async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    await copyFile(from, to);
    await rm(from, { force: true });
  }
}
