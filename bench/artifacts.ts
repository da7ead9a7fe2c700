import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, createDeflateRaw } from 'node:zlib';
import { LAB_DIR, fixtureBinary } from '../lab/paths.ts';

/** Generated inputs are kept between runs: making a 1 GiB zip costs more than benchmarking it. */
export const BENCH_DIR = join(LAB_DIR, 'bench');

/**
 * A fake plugin binary of `size` bytes: the real fixture binary (so the
 * platform check sees an amd64 ELF), then either more copies of it, which
 * deflate about as well as a real Go binary, or random bytes, which do not.
 */
async function writeBinary(path: string, size: number, fill: 'binary' | 'random'): Promise<void> {
  const fixture = await readFile(fixtureBinary('openbao', 'secrets', 'v1.0.0'));
  const handle = await open(path, 'w');
  try {
    let written = 0;
    const block = Buffer.alloc(4 * 1024 * 1024);
    while (written < size) {
      let piece: Buffer;
      if (written === 0 || fill === 'binary') piece = fixture;
      else piece = randomFillSync(block);
      piece = piece.subarray(0, size - written);
      await handle.write(piece);
      written += piece.length;
    }
  } finally {
    await handle.close();
  }
}

/** A file of random bytes, for hashing. */
export async function randomFile(size: number): Promise<string> {
  await mkdir(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, `random-${size}`);
  if (existsSync(path) && (await stat(path)).size === size) return path;
  const handle = await open(`${path}.part`, 'w');
  const block = Buffer.alloc(4 * 1024 * 1024);
  for (let left = size; left > 0; left -= block.length) {
    await handle.write(randomFillSync(block).subarray(0, Math.min(left, block.length)));
  }
  await handle.close();
  await rename(`${path}.part`, path);
  return path;
}

export interface BenchZip {
  path: string;
  size: number;
  sha256: string;
  binarySize: number;
}

/**
 * A release zip holding one member `acme`, deflated as a stream so that
 * neither the binary nor the zip is ever whole in memory; its local header
 * is written last, once sizes and CRC are known.
 */
export async function pluginZip(binarySize: number, fill: 'binary' | 'random'): Promise<BenchZip> {
  await mkdir(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, `acme-${fill}-${binarySize}.zip`);
  if (!existsSync(path)) {
    const binary = join(BENCH_DIR, `binary-${fill}-${binarySize}`);
    await writeBinary(binary, binarySize, fill);
    await writeZip(binary, `${path}.part`);
    await rename(`${path}.part`, path);
    await rm(binary, { force: true });
  }
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return { path, size: (await stat(path)).size, sha256: hash.digest('hex'), binarySize };
}

async function writeZip(binary: string, zipPath: string): Promise<void> {
  const name = Buffer.from('acme');
  const handle = await open(zipPath, 'w');
  try {
    const headerLength = 30 + name.length;
    let position = headerLength;
    let crc = 0;
    let size = 0;
    const deflate = createDeflateRaw({ level: 1, chunkSize: 1 << 20 });
    const source = createReadStream(binary, { highWaterMark: 1 << 20 });
    source.on('data', (chunk) => {
      crc = crc32(chunk, crc);
      size += chunk.length;
    });
    source.pipe(deflate);
    for await (const chunk of deflate) {
      const { bytesWritten } = await handle.write(
        chunk as Buffer,
        0,
        (chunk as Buffer).length,
        position,
      );
      position += bytesWritten;
    }
    const packed = position - headerLength;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    await handle.write(Buffer.concat([local, name]), 0, headerLength, 0);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100000 | 0o755) << 16) >>> 0, 38);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(1, 8);
    end.writeUInt16LE(1, 10);
    end.writeUInt32LE(46 + name.length, 12);
    end.writeUInt32LE(position, 16);
    await handle.write(Buffer.concat([central, name, end]), 0, 46 + name.length + 22, position);
  } finally {
    await handle.close();
  }
}
