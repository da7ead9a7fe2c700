import type { FileHandle } from 'node:fs/promises';

/** Big reads keep the per-chunk overhead of streams and hashing small. */
const CHUNK = 1 << 20;

export interface ChunkOptions {
  /** For a file still being written: how far it reaches once it holds more than `position` bytes. */
  reach?: (position: number) => Promise<number>;
  chunkBytes?: number;
}

/**
 * Hands `length` bytes of a file from `start` (to its end if shorter) to
 * `use`, chunk by chunk. Two buffers take turns: the next read runs on the
 * thread pool while `use` works on this chunk, and nothing is allocated per
 * chunk. That matters for memory, not just speed: V8 frees a dead Buffer's
 * memory only at a GC, and when little else is allocated it waits until
 * about 64 MiB of such memory has piled up, so a fresh Buffer per chunk
 * makes every large file cost that much RSS. A chunk is valid only until
 * `use` settles. A file still being written gives `reach` (see GrowingFile):
 * each read then waits for bytes beyond where it starts.
 */
export async function forEachChunk(
  handle: FileHandle,
  start: number,
  length: number,
  use: (chunk: Buffer) => Promise<void> | void,
  { reach, chunkBytes = CHUNK }: ChunkOptions = {},
): Promise<void> {
  const size = Math.min(chunkBytes, length);
  if (size <= 0) return;
  let current = Buffer.allocUnsafe(size);
  let spare = Buffer.allocUnsafe(size);
  let position = start;
  const end = start + length;
  const read = (into: Buffer): Promise<{ bytesRead: number }> => {
    const reading = (async () => {
      const until = reach ? Math.min(end, await reach(position)) : end;
      return handle.read(into, 0, Math.max(0, Math.min(size, until - position)), position);
    })();
    // A read fails while `use` still runs (a download that ends in an error);
    // it is awaited in its turn, and must not count as unhandled before then.
    reading.catch(() => undefined);
    return reading;
  };
  let reading = read(current);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      position += bytesRead;
      reading = read(spare);
      await use(current.subarray(0, bytesRead));
      [current, spare] = [spare, current];
    }
  } finally {
    // A read still under way must end before the caller closes the file.
    await reading.catch(() => undefined);
  }
}
