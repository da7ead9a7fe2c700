import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { ArtifactError } from '../errors.ts';
import { EXECUTABLE_HEAD_BYTES } from './executable.ts';

/** A file written from a stream, with what was learned on the way. */
export interface SunkFile {
  /** Where it was written. */
  path: string;
  size: number;
  sha256: string;
  crc32: number;
  /** The first bytes, enough to tell what kind of executable it is. */
  head: Buffer;
}

/**
 * Takes bytes once and does everything with them on the way: counts them
 * against a limit (before writing, so an overrun never reaches the disk),
 * hashes, checksums and writes them. Without a path the bytes are kept in
 * memory instead — for link targets, which are small and bounded by `limit`.
 */
export class FileSink {
  private readonly path: string | null;
  private readonly limit: number;
  private readonly overrun: () => ArtifactError;
  private readonly hash = createHash('sha256');
  private handle: FileHandle | null = null;
  private size = 0;
  private crc = 0;
  private head: Buffer[] = [];
  private headLength = 0;
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
    if (this.headLength < EXECUTABLE_HEAD_BYTES) {
      const piece = Buffer.from(chunk.subarray(0, EXECUTABLE_HEAD_BYTES - this.headLength));
      this.head.push(piece);
      this.headLength += piece.length;
    }
    if (this.path === null) {
      this.memory.push(Buffer.from(chunk));
      return;
    }
    this.handle ??= await open(this.path, 'w', 0o600);
    let written = 0;
    while (written < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, written);
      written += bytesWritten;
    }
  }

  /** Closes the file; an empty file is still created, so every member has a path. */
  private async finish(): Promise<SunkFile> {
    if (this.path !== null) {
      this.handle ??= await open(this.path, 'w', 0o600);
      await this.handle.close();
    }
    return {
      path: this.path ?? '',
      size: this.size,
      sha256: this.hash.digest('hex'),
      crc32: this.crc,
      head: Buffer.concat(this.head),
    };
  }

  /** Runs the writing, then finishes; on failure the file is closed (its directory is the caller's to remove). */
  async finishOrAbort(writing: () => Promise<void>): Promise<SunkFile> {
    try {
      await writing();
    } catch (error) {
      await this.handle?.close();
      this.handle = null;
      throw error;
    }
    return this.finish();
  }

  /** The bytes kept in memory by a sink without a path. */
  kept(): Buffer {
    return Buffer.concat(this.memory);
  }
}
