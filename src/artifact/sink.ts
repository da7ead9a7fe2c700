import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ArtifactError } from '../domain/errors.ts';

/** A file written from a stream, with what was learned on the way. */
export interface SunkFile {
  /** Where it was written; empty for an empty file, for which nothing is written. */
  path: string;
  size: number;
  sha256: string;
  crc32: number;
}

/**
 * Inflaters hand out chunks of 16 to 128 KiB; a write call per chunk costs
 * more than the copy that gathers them into one write per MiB.
 */
const WRITE_BATCH = 1 << 20;

/**
 * Takes bytes once and does everything with them on the way: counts them
 * against a limit (before writing, so an overrun never reaches the disk),
 * hashes, checksums and writes them. Without a path the bytes are kept in
 * memory instead — for link targets, which are small and bounded by `limit`.
 * A chunk is copied before `write` settles, so the caller may reuse it.
 */
export class FileSink {
  private readonly path: string | null;
  private readonly limit: number;
  private readonly overrun: () => ArtifactError;
  private readonly hash = createHash('sha256');
  private handle: FileHandle | null = null;
  private size = 0;
  private crc = 0;
  private batch: Buffer | null = null;
  private batched = 0;
  private memory: Buffer[] = [];

  constructor(path: string | null, limit: number, overrun: () => ArtifactError) {
    this.path = path;
    this.limit = limit;
    this.overrun = overrun;
  }

  async write(chunk: Buffer): Promise<void> {
    this.size += chunk.length;
    if (this.size > this.limit) throw this.overrun();
    this.hash.update(chunk);
    this.crc = crc32(chunk, this.crc);
    if (this.path === null) {
      this.memory.push(Buffer.from(chunk));
      return;
    }
    let taken = 0;
    while (taken < chunk.length) {
      this.batch ??= Buffer.allocUnsafe(Math.min(WRITE_BATCH, this.limit));
      const copied = chunk.copy(this.batch, this.batched, taken);
      this.batched += copied;
      taken += copied;
      if (this.batched === this.batch.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    this.handle ??= await open(this.path ?? '', 'w', 0o600);
    let written = 0;
    while (this.batch && written < this.batched) {
      const { bytesWritten } = await this.handle.write(this.batch, written, this.batched - written);
      written += bytesWritten;
    }
    this.batched = 0;
  }

  /**
   * Writes what is left and closes the file. An empty file is not created:
   * archives of many empty members would otherwise cost a file each.
   */
  private async finish(): Promise<SunkFile> {
    if (this.path !== null && this.size > 0) {
      await this.flush();
      const handle = this.handle;
      this.handle = null;
      await handle?.close();
    }
    return {
      path: this.size > 0 ? (this.path ?? '') : '',
      size: this.size,
      sha256: this.hash.digest('hex'),
      crc32: this.crc,
    };
  }

  /** Runs the writing, then finishes; on failure the file is closed (its directory is the caller's to remove). */
  async finishOrAbort(writing: () => Promise<void>): Promise<SunkFile> {
    try {
      await writing();
      return await this.finish();
    } catch (error) {
      await this.handle?.close();
      this.handle = null;
      throw error;
    }
  }

  /** The bytes kept in memory by a sink without a path. */
  kept(): Buffer {
    return Buffer.concat(this.memory);
  }
}
