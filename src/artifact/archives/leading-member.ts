import { randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInflateRaw } from 'node:zlib';
import { ArtifactError } from '../../domain/errors.ts';
import type { GrowingFile } from '../growing-file.ts';
import { FileSink, type SunkFile } from '../sink.ts';
import { decompressRange, INFLATED_CHUNK } from './decompress.ts';

const LOCAL_HEADER = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
const ENCRYPTED = 0x1;
const DEFLATE = 8;
/**
 * The download's own buffers are live meanwhile; reads of a quarter of the
 * usual size keep the peak where an unpack after the download had it
 * (157 MiB for a 1 GiB zip, 162 MiB with 1 MiB reads).
 */
const READ_BYTES = 256 * 1024;

/**
 * The first member of a zip, inflated while the archive downloads from
 * where its local header says its data starts. It is not trusted: the zip
 * reader takes it instead of inflating that member only when the central
 * directory, read once the download is whole, names the same compressed
 * bytes (see zip-reader).
 */
export interface LeadingMember {
  /** How many compressed bytes its deflate stream took. */
  compressedSize: number;
  file: SunkFile;
}

/**
 * Zip tools write the members first and the directory that lists them
 * last, so the directory can only be read once the download is whole. But
 * a plugin's zip is mostly one deflated binary, written first: inflating it
 * from the front while the rest arrives hides the download behind the
 * inflating. Resolves to null, and never rejects, when the file is no zip,
 * its first member is not deflated, or anything fails: the reader then
 * inflates as usual and reports what is wrong. At most `limit` bytes are
 * written, as for any member.
 */
export async function inflateLeadingMember(
  file: GrowingFile,
  limit: number,
  directory: string,
): Promise<LeadingMember | null> {
  const path = join(directory, `lead-${randomUUID()}`);
  try {
    const handle = await open(file.path, 'r');
    try {
      await file.reach(LOCAL_HEADER_BYTES - 1);
      const header = Buffer.alloc(LOCAL_HEADER_BYTES);
      const { bytesRead } = await handle.read(header, 0, LOCAL_HEADER_BYTES, 0);
      if (bytesRead < LOCAL_HEADER_BYTES || header.readUInt32LE(0) !== LOCAL_HEADER) return null;
      const flags = header.readUInt16LE(6);
      if ((flags & ENCRYPTED) !== 0 || header.readUInt16LE(8) !== DEFLATE) return null;
      const dataStart = LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
      const inflater = createInflateRaw({ chunkSize: INFLATED_CHUNK });
      const sink = new FileSink(path, limit, () => new ArtifactError('past the limit'));
      const sunk = await sink.finishOrAbort(() =>
        decompressRange(
          handle,
          dataStart,
          Infinity,
          inflater,
          async (output) => {
            for await (const chunk of output) await sink.write(chunk as Buffer);
          },
          { reach: (position) => file.reach(position), chunkBytes: READ_BYTES },
        ),
      );
      // The stream ends itself where its last block does; what it took is its length.
      return { compressedSize: inflater.bytesWritten, file: sunk };
    } finally {
      await handle.close();
    }
  } catch {
    await rm(path, { force: true });
    return null;
  }
}

/** Removes the member inflated ahead unless something took it (and moved it away). */
export async function discardLeadingMember(
  leading: Promise<LeadingMember | null> | undefined,
): Promise<void> {
  const lead = await leading;
  if (lead?.file.path) await rm(lead.file.path, { force: true });
}
