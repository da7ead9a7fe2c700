import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { forEachChunk } from './file-chunks.ts';

/** Streams the file so a large plugin never sits whole in memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path);
  try {
    await forEachChunk(handle, 0, Infinity, (chunk) => {
      hash.update(chunk);
    });
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
