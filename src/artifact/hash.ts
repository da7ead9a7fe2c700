import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/**
 * Streams the file so a large plugin never sits whole in memory. Two
 * buffers take turns: the next read runs on the thread pool while this one
 * is hashed, so copying from the page cache overlaps the hashing, and no
 * buffer is allocated per chunk.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path);
  try {
    let current = Buffer.allocUnsafe(CHUNK);
    let spare = Buffer.allocUnsafe(CHUNK);
    let position = 0;
    let reading = handle.read(current, 0, CHUNK, position);
    for (;;) {
      const { bytesRead } = await reading;
      if (bytesRead === 0) break;
      position += bytesRead;
      reading = handle.read(spare, 0, CHUNK, position);
      hash.update(current.subarray(0, bytesRead));
      [current, spare] = [spare, current];
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
