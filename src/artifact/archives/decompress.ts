import type { FileHandle } from 'node:fs/promises';
import type { Readable, Transform } from 'node:stream';
import { forEachChunk, type ChunkOptions } from '../file-chunks.ts';

/**
 * zlib hands out every chunk it inflates in a Buffer of its own, and V8
 * frees those only at a GC (see forEachChunk). Small chunks are collected
 * and their memory reused sooner: unpacking a 1 GiB plugin peaks about
 * 30 MiB lower with 128 KiB chunks than with 1 MiB ones.
 */
export const INFLATED_CHUNK = 128 * 1024;

/**
 * Feeds `length` bytes of a file from `start` through a zlib stream while
 * `read` consumes its output, and returns what `read` returns. Each chunk is
 * written only once zlib has taken the previous one in whole, so the read
 * buffers are reused (see forEachChunk) and a slow reader holds back the
 * disk reads. A read error destroys the stream with it; the stream is
 * destroyed when `read` ends, which stops the feeding. A file still being
 * written is fed as it grows (see ChunkOptions).
 */
export async function decompressRange<T>(
  handle: FileHandle,
  start: number,
  length: number,
  decompressor: Transform,
  read: (output: Readable) => Promise<T>,
  chunks?: ChunkOptions,
): Promise<T> {
  const feeding = forEachChunk(
    handle,
    start,
    length,
    (chunk) => writeThrough(decompressor, chunk),
    chunks,
  ).then(
    () => decompressor.end(),
    (error: unknown) => decompressor.destroy(error instanceof Error ? error : undefined),
  );
  try {
    return await read(decompressor);
  } finally {
    decompressor.destroy();
    await feeding;
  }
}

/**
 * Settles once zlib has consumed `chunk`: zlib reads the caller's buffer in
 * place and calls back only when all of it is used, so the buffer may be
 * refilled from then on. A stream destroyed meanwhile may never
 * call back, so its closing ends the wait too.
 */
function writeThrough(stream: Transform, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const closed = (): void => reject(new Error('the stream closed'));
    stream.once('close', closed);
    stream.write(chunk, (error) => {
      stream.off('close', closed);
      if (error) reject(error);
      else resolve();
    });
  });
}
