// Release archives written byte by byte (zip, tar.gz, SHA256SUMS), odd members included.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { crc32, createGzip, deflateRawSync, gzipSync } from 'node:zlib';

/**
 * One member of a lab archive; `link` makes a symbolic link, `hardLink` (tar
 * only) a hard link, `stored` (zip only) keeps the bytes as they are,
 * `unlisted` (zip only) writes the member but leaves it out of the central
 * directory, where unzip never sees it.
 */
export interface Member {
  name: string;
  data?: Buffer;
  mode?: number;
  link?: string;
  hardLink?: string;
  stored?: boolean;
  unlisted?: boolean;
}

const FILE = 0o100000;
const SYMLINK = 0o120000;

function typeAndMode(member: Member): number {
  return (member.link === undefined ? FILE : SYMLINK) | (member.mode ?? 0o755);
}

function content(member: Member): Buffer {
  return member.link === undefined ? (member.data ?? Buffer.alloc(0)) : Buffer.from(member.link);
}

/** A zip as release tools write it: deflated, with Unix modes in the external attributes. */
export function makeZip(members: readonly Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const member of members) {
    const name = Buffer.from(member.name);
    const raw = content(member);
    const method = member.stored ? 0 : 8;
    const packed = member.stored ? raw : deflateRawSync(raw);
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((typeAndMode(member) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    if (!member.unlisted) centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const listed = members.filter((m) => !m.unlisted).length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(listed, 8);
  end.writeUInt16LE(listed, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A gzipped ustar archive, as OpenBao's and GoReleaser's releases ship. */
export function makeTarGz(members: readonly Member[]): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const linked = member.link ?? member.hardLink;
    const data = linked === undefined ? content(member) : Buffer.alloc(0);
    const header = tarHeader(member, data.length);
    sealHeader(header);
    blocks.push(header, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

/** A ustar header block for the member, its checksum not yet written. */
function tarHeader(member: Member, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(member.name, 0, 100);
  header.write(octal(member.mode ?? 0o755, 8), 100);
  header.write(octal(0, 8), 108);
  header.write(octal(0, 8), 116);
  header.write(octal(size, 12), 124);
  header.write(octal(1_700_000_000, 12), 136);
  header.write(member.hardLink !== undefined ? '1' : member.link !== undefined ? '2' : '0', 156);
  const linked = member.link ?? member.hardLink;
  if (linked !== undefined) header.write(linked, 157, 100);
  header.write('ustar\u000000', 257);
  return header;
}

/** Writes the header's checksum: the sum of its bytes, the checksum field counted as spaces. */
function sealHeader(header: Buffer): void {
  header.write(' '.repeat(8), 148);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256sum` output for the given files. */
export function sha256sums(files: readonly { name: string; data: Buffer }[]): Buffer {
  return Buffer.from(files.map((f) => `${sha256(f.data)}  ${f.name}\n`).join(''));
}

/**
 * A tar.gz of `count` empty files, written a batch of headers at a time so
 * that neither the tar nor the archive is built whole in memory.
 */
export async function emptyMembersTarGz(count: number): Promise<Buffer> {
  const gzip = createGzip({ level: 1 });
  const compressed: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
  const finished = once(gzip, 'end');
  const template = tarHeader({ name: '' }, 0);
  const BATCH = 2048;
  for (let first = 0; first < count; first += BATCH) {
    const batch = Buffer.alloc(Math.min(BATCH, count - first) * 512);
    for (let i = 0; i < batch.length / 512; i++) {
      const header = batch.subarray(i * 512, (i + 1) * 512);
      template.copy(header);
      header.write(`empty-${first + i}`, 0, 100);
      sealHeader(header);
    }
    if (!gzip.write(batch)) await once(gzip, 'drain');
  }
  gzip.end(Buffer.alloc(1024));
  await finished;
  return Buffer.concat(compressed);
}
