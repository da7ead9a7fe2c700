import { pipeline, type Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { getFileNameLowLevel, openPromise, type Entry, type ZipFile } from 'yauzl';
import { ArtifactError } from '../../domain/errors.ts';
import type { Unpacking } from './unpacking.ts';
import { FileSink, type SunkFile } from '../sink.ts';
import type { LeadingMember } from './leading-member.ts';
import { INFLATED_CHUNK } from './decompress.ts';

/** A symbolic link's target is a path; anything longer is not one. */
const MAX_LINK = 4096;
const MADE_ON_UNIX = 3;
const UTF8_NAME = 0x800;
const UNICODE_PATH_FIELD = 0x7075;
const UTF8 = new TextDecoder('utf-8', { fatal: true });
const FILE_TYPE = 0o170000;
const SYMLINK = 0o120000;
const STORED = 0;
const DEFLATE = 8;

/**
 * yauzl reads the central directory, as unzip does, with its ZIP64 records.
 * Names are decoded here, as unzip reads them (see nameOf), and checked by
 * `Unpacking` as a tar's are; sizes and CRCs are checked here too, since
 * yauzl leaves CRCs to its caller.
 */
export async function readZip(
  archivePath: string,
  unpacking: Unpacking,
  leading?: Promise<LeadingMember | null>,
): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await openPromise(archivePath, {
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (error) {
    throw damaged(messageOf(error));
  }
  try {
    unpacking.expectMembers(zip.entryCount);
    const entries: Entry[] = [];
    try {
      for await (const entry of zip.eachEntry()) entries.push(entry);
    } catch (error) {
      throw damaged(messageOf(error));
    }
    unpacking.expectBytes(
      entries.filter((e) => !isDirectory(e)).reduce((sum, e) => sum + e.uncompressedSize, 0),
    );
    for (const entry of entries) await unpackEntry(zip, entry, unpacking, leading);
  } finally {
    zip.close();
  }
}

async function unpackEntry(
  zip: ZipFile,
  entry: Entry,
  unpacking: Unpacking,
  leading: Promise<LeadingMember | null> | undefined,
): Promise<void> {
  const name = nameOf(entry);
  const unixMode =
    entry.versionMadeBy >> 8 === MADE_ON_UNIX ? entry.externalFileAttributes >>> 16 : 0;
  const kind = isDirectory(entry)
    ? 'directory'
    : (unixMode & FILE_TYPE) === SYMLINK
      ? 'symlink'
      : 'file';
  const path = unpacking.begin(name, kind);
  if (path === null) return;
  const mode = unixMode & 0o777;
  if (kind === 'directory') {
    unpacking.addDirectory(path, mode);
    return;
  }
  if (kind === 'symlink') {
    const target = new FileSink(null, Math.min(entry.uncompressedSize, MAX_LINK), () =>
      damaged(`the link ${name} is longer than any path`),
    );
    const sunk = await target.finishOrAbort(() => copyEntry(zip, entry, name, target));
    checkWhole(entry, name, sunk);
    unpacking.addLink(path, 'symlink', mode, target.kept().toString('utf8'));
    return;
  }
  const ahead = await inflatedAhead(entry, leading);
  const file = ahead
    ? unpacking.takeFile(path, mode, ahead)
    : await unpacking.addFile(
        path,
        mode,
        entry.uncompressedSize,
        () =>
          damaged(`${name} unpacks to more than the ${entry.uncompressedSize} bytes it declares`),
        (sink) => copyEntry(zip, entry, name, sink),
      );
  checkWhole(entry, name, file);
}

/**
 * The member inflated while the archive downloaded, when it is this entry:
 * the central directory puts the entry's local header first, deflated and
 * unencrypted, its compressed data exactly as long as the deflate stream
 * inflated ahead (which started where that same header says), and both
 * agree on its size and CRC. Those are the bytes copyEntry would inflate,
 * so the result is the same file; on any difference, copyEntry inflates
 * the entry and reports what is wrong with it.
 */
async function inflatedAhead(
  entry: Entry,
  leading: Promise<LeadingMember | null> | undefined,
): Promise<SunkFile | null> {
  if (!leading || entry.relativeOffsetOfLocalHeader !== 0) return null;
  if (entry.isEncrypted() || entry.compressionMethod !== DEFLATE) return null;
  const lead = await leading;
  const same =
    lead !== null &&
    lead.compressedSize === entry.compressedSize &&
    lead.file.size === entry.uncompressedSize &&
    lead.file.crc32 === entry.crc32;
  return same ? lead.file : null;
}

/** Writes the member's bytes, inflated if need be; a failure that is not the sink's own means damage. */
async function copyEntry(zip: ZipFile, entry: Entry, name: string, sink: FileSink): Promise<void> {
  if (entry.isEncrypted()) {
    throw new ArtifactError(`the zip archive stores ${name} encrypted, which is not supported`);
  }
  if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATE) {
    throw new ArtifactError(
      `the zip archive stores ${name} with compression method ${entry.compressionMethod}; only stored and deflate are supported`,
    );
  }
  let stream: Readable;
  try {
    stream =
      entry.compressionMethod === DEFLATE
        ? inflate(await zip.openReadStreamPromise(entry, { decompress: false }))
        : await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw damaged(`${name}: ${messageOf(error)}`);
  }
  try {
    for await (const chunk of stream) await sink.write(chunk as Buffer);
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    throw damaged(`${name} does not inflate`);
  }
}

/**
 * yauzl's own inflater hands out 16 KiB chunks, each a trip to the thread
 * pool; with larger ones a 16 MiB plugin unpacks in about half the time.
 * An error on either side reaches the reader through the inflater.
 */
function inflate(deflated: Readable): Readable {
  return pipeline(deflated, createInflateRaw({ chunkSize: INFLATED_CHUNK }), () => undefined);
}

function checkWhole(entry: Entry, name: string, sunk: { size: number; crc32: number }): void {
  if (sunk.size !== entry.uncompressedSize) {
    throw damaged(
      `${name} unpacks to ${sunk.size} bytes, not the ${entry.uncompressedSize} it declares`,
    );
  }
  if (sunk.crc32 !== entry.crc32) throw damaged(`${name} fails its CRC-32 check`);
}

/**
 * Names as unzip unpacks them. yauzl decodes as the zip format says: UTF-8
 * when flagged or given in Info-ZIP's Unicode path field, CP437 otherwise.
 * But Info-ZIP's zip writes UTF-8 names unflagged, and unzip takes the
 * name of an entry made on Unix as the bytes it is; so do we, when those
 * bytes are UTF-8.
 */
function nameOf(entry: Entry): string {
  const declared =
    (entry.generalPurposeBitFlag & UTF8_NAME) !== 0 ||
    entry.extraFields.some((field) => field.id === UNICODE_PATH_FIELD);
  if (!declared && entry.versionMadeBy >> 8 === MADE_ON_UNIX) {
    try {
      return UTF8.decode(entry.fileNameRaw);
    } catch {
      // Not UTF-8: read as the format says.
    }
  }
  return getFileNameLowLevel(
    entry.generalPurposeBitFlag,
    entry.fileNameRaw,
    entry.extraFields,
    false,
  );
}

function isDirectory(entry: Entry): boolean {
  return nameOf(entry).endsWith('/');
}

function damaged(what: string): ArtifactError {
  return new ArtifactError(`the zip archive is damaged: ${what}`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
