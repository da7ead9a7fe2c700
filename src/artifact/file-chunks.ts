import type { FileHandle } from 'node:fs/promises';

/** Big reads keep the per-chunk overhead of streams and hashing small. */
const CHUNK = 1 << 20;

/**
 * Hands `length` bytes of a file from `start` (to its end if shorter) to
 * `use`, chunk by chunk. Two buffers take turns: the next read runs on the
 * thread pool while `use` works on this chunk, and nothing is allocated per
 * chunk. That matters for memory, not just speed: V8 frees a dead Buffer's
 * memory only at a GC, and when little else is allocated it waits until
 * about 64 MiB of such memory has piled up, so a fresh Buffer per chunk
 * makes every large file cost that much RSS. A chunk is valid only until
 * `use` settles.
 */
export async function forEachChunk(
  handle: FileHandle,
  start: number,
  length: number,
  use: (chunk: Buffer) => Promise<void> | void,
): Promise<void> {
  const size = Math.min(CHUNK, length);
  if (size <= 0) return;
  let current = Buffer.allocUnsafe(size);
  let spare = Buffer.allocUnsafe(size);
  let position = start;
  const end = start + length;
  let reading = handle.read(current, 0, size, position);
  try {
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) return;
      position += bytesRead;
      reading = handle.read(spare, 0, Math.min(size, end - position), position);
      await use(current.subarray(0, bytesRead));
      [current, spare] = [spare, current];
    }
  } finally {
    // A read still under way must end before the caller closes the file.
    await reading.catch(() => undefined);
  }
}
