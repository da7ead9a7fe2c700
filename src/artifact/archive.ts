import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { ArtifactError } from '../errors.ts';

export type MemberKind = 'file' | 'directory' | 'symlink' | 'hardlink';

/** One entry of an archive, read in memory; `data` is set for files only. */
export interface ArchiveEntry {
  /** Path inside the archive, with `/` separators and no leading `./`. */
  path: string;
  kind: MemberKind;
  mode: number;
  /** Target of a link, as stored. */
  link: string;
  data: Buffer;
}

/**
 * Reads a zip or tar.gz in process instead of shelling out to `unzip`/`tar`,
 * so every member is checked before anything leaves memory and inflated
 * bytes are counted as they are produced: a decompression bomb stops at
 * `maxBytes`, not after it has filled the disk.
 */
export function readArchive(
  archive: Buffer,
  format: 'zip' | 'tar.gz',
  maxBytes: number,
): ArchiveEntry[] {
  const entries = format === 'zip' ? readZip(archive, maxBytes) : readTarGz(archive, maxBytes);
  for (const entry of entries) checkEntry(entry);
  return entries;
}

function tooBig(maxBytes: number): ArtifactError {
  return new ArtifactError(
    `the archive unpacks to more than max-size (${maxBytes} bytes); raise max-size if this plugin is really that large`,
  );
}

/** Refuses names and links that would land outside the directory the archive is unpacked into. */
function checkEntry(entry: ArchiveEntry): void {
  if (escapes(entry.path, '')) {
    throw new ArtifactError(`archive member "${entry.path}" points outside the archive`);
  }
  if (entry.kind === 'symlink' || entry.kind === 'hardlink') {
    const base = entry.kind === 'symlink' ? parentOf(entry.path) : '';
    if (escapes(entry.link, base)) {
      throw new ArtifactError(
        `archive member "${entry.path}" is a ${entry.kind === 'symlink' ? 'symbolic' : 'hard'} link to "${entry.link}", outside the archive`,
      );
    }
  }
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? '' : path.slice(0, cut);
}

function escapes(path: string, base: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path) || path === '') {
    return true;
  }
  let depth = base ? base.split('/').filter(Boolean).length : 0;
  for (const segment of path.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '' && segment !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}

function normalise(path: string): string {
  return path.replace(/^(\.\/)+/, '');
}

const ZIP_END = 0x06054b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_LOCAL = 0x04034b50;

function readZip(archive: Buffer, maxBytes: number): ArchiveEntry[] {
  const end = findZipEnd(archive);
  const count = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const entries: ArchiveEntry[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (offset + 46 > archive.length || archive.readUInt32LE(offset) !== ZIP_CENTRAL) {
      throw new ArtifactError('the zip archive is damaged: its central directory is cut short');
    }
    const method = archive.readUInt16LE(offset + 10);
    const crc = archive.readUInt32LE(offset + 16);
    const packedSize = archive.readUInt32LE(offset + 20);
    const size = archive.readUInt32LE(offset + 24);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const madeBy = archive.readUInt16LE(offset + 4) >> 8;
    const external = archive.readUInt32LE(offset + 38);
    const localOffset = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;

    const unixMode = madeBy === 3 ? external >>> 16 : 0;
    const type = unixMode & 0o170000;
    const kind: MemberKind = name.endsWith('/')
      ? 'directory'
      : type === 0o120000
        ? 'symlink'
        : 'file';
    if (kind === 'directory') {
      entries.push({ path: normalise(name), kind, mode: unixMode & 0o777, link: '', data: EMPTY });
      continue;
    }
    total += size;
    if (total > maxBytes) throw tooBig(maxBytes);
    if (archive.readUInt32LE(localOffset) !== ZIP_LOCAL) {
      throw new ArtifactError(`the zip archive is damaged: no local header for ${name}`);
    }
    const dataStart =
      localOffset +
      30 +
      archive.readUInt16LE(localOffset + 26) +
      archive.readUInt16LE(localOffset + 28);
    const packed = archive.subarray(dataStart, dataStart + packedSize);
    const data = unpackZipMember(packed, method, size, name, maxBytes);
    if (crc32(data) !== crc) {
      throw new ArtifactError(`the zip archive is damaged: ${name} fails its CRC-32 check`);
    }
    entries.push({
      path: normalise(name),
      kind,
      mode: unixMode & 0o777,
      link: kind === 'symlink' ? data.toString('utf8') : '',
      data: kind === 'file' ? data : EMPTY,
    });
  }
  return entries;
}

const EMPTY = Buffer.alloc(0);

function unpackZipMember(
  packed: Buffer,
  method: number,
  size: number,
  name: string,
  maxBytes: number,
): Buffer {
  let data: Buffer;
  if (method === 0) data = packed;
  else if (method === 8) {
    try {
      // The declared size may lie; inflating stops one byte past it.
      data = inflateRawSync(packed, { maxOutputLength: Math.min(size, maxBytes) + 1 });
    } catch (error) {
      if (!(error instanceof RangeError)) {
        throw new ArtifactError(`the zip archive is damaged: ${name} does not inflate`);
      }
      if (size >= maxBytes) throw tooBig(maxBytes);
      throw new ArtifactError(
        `the zip archive is damaged: ${name} unpacks to more than the ${size} bytes it declares`,
      );
    }
  } else {
    throw new ArtifactError(
      `the zip archive stores ${name} with compression method ${method}; only stored and deflate are supported`,
    );
  }
  if (data.length > maxBytes) throw tooBig(maxBytes);
  if (data.length !== size) {
    throw new ArtifactError(
      `the zip archive is damaged: ${name} unpacks to ${data.length} bytes, not the ${size} it declares`,
    );
  }
  return data;
}

function findZipEnd(archive: Buffer): number {
  const lowest = Math.max(0, archive.length - 22 - 0xffff);
  for (let at = archive.length - 22; at >= lowest; at--) {
    if (archive.readUInt32LE(at) === ZIP_END) return at;
  }
  throw new ArtifactError('the zip archive is damaged: no end of central directory');
}

function readTarGz(archive: Buffer, maxBytes: number): ArchiveEntry[] {
  let tar: Buffer;
  try {
    // Headers and padding add a little to the members' sizes.
    tar = gunzipSync(archive, { maxOutputLength: maxBytes + 1024 * 1024 });
  } catch (error) {
    if (error instanceof RangeError) throw tooBig(maxBytes);
    throw new ArtifactError('the tar.gz archive is damaged: it does not gunzip');
  }
  const entries: ArchiveEntry[] = [];
  let offset = 0;
  let longName = '';
  let longLink = '';
  let total = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = octalField(header, 124, 12);
    const type = String.fromCharCode(header[156] ?? 0x30);
    const dataStart = offset + 512;
    const data = tar.subarray(dataStart, dataStart + size);
    if (data.length !== size) {
      throw new ArtifactError('the tar.gz archive is damaged: a member is cut short');
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = cString(data);
      continue;
    }
    if (type === 'K') {
      longLink = cString(data);
      continue;
    }
    if (type === 'x' || type === 'g') continue;
    const prefix = header.subarray(257, 263).toString('latin1').startsWith('ustar')
      ? cString(header.subarray(345, 500))
      : '';
    const shortName = cString(header.subarray(0, 100));
    const path = longName || (prefix ? `${prefix}/${shortName}` : shortName);
    const link = longLink || cString(header.subarray(157, 257));
    longName = '';
    longLink = '';
    const kind: MemberKind | null =
      type === '0' || type === '\0' || type === '7'
        ? 'file'
        : type === '5'
          ? 'directory'
          : type === '2'
            ? 'symlink'
            : type === '1'
              ? 'hardlink'
              : null;
    if (!kind) {
      throw new ArtifactError(
        `archive member "${path}" is a device, FIFO or other special file (tar type ${type})`,
      );
    }
    if (kind === 'file') {
      total += size;
      if (total > maxBytes) throw tooBig(maxBytes);
    }
    entries.push({
      path: normalise(path),
      kind,
      mode: octalField(header, 100, 8) & 0o777,
      link: kind === 'hardlink' ? normalise(link) : link,
      data: kind === 'file' ? data : EMPTY,
    });
  }
  return entries;
}

function octalField(header: Buffer, start: number, length: number): number {
  const text = cString(header.subarray(start, start + length)).trim();
  return text ? parseInt(text, 8) : 0;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.toString('utf8', 0, end < 0 ? bytes.length : end);
}
