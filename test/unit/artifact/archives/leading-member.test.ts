import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { discardAsset } from '../../../../src/artifact/asset-file.ts';
import { unpackArchive } from '../../../../src/artifact/archives/unpack.ts';
import {
  inflateLeadingMember,
  type LeadingMember,
} from '../../../../src/artifact/archives/leading-member.ts';
import { download } from '../../../../src/artifact/download.ts';
import { GrowingFile } from '../../../../src/artifact/growing-file.ts';
import { makeZip } from '../../../../lab/archives.ts';

const MB = 1024 * 1024;
const PIECE = 64 * 1024;

let work = '';
let served: Buffer = Buffer.alloc(0);
let server: Server;
let url = '';
beforeAll(async () => {
  // Sends the archive a piece at a time, so it is still arriving while it is read.
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': served.length });
    void (async () => {
      for (let at = 0; at < served.length; at += PIECE) {
        res.write(served.subarray(at, at + PIECE));
        await sleep(1);
      }
      res.end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/acme.zip`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'leading-member-test-'));
  return () => rm(work, { recursive: true, force: true });
});

/** Downloads `zip` as the action does, its first member inflated as it arrives, and unpacks it. */
async function downloadAndUnpack(zip: Buffer) {
  served = zip;
  let leading: Promise<LeadingMember | null> | undefined;
  const file = await download({
    url,
    label: 'acme.zip',
    maxBytes: 64 * MB,
    directory: work,
    follow: (growing) => {
      leading = inflateLeadingMember(growing, 64 * MB, work);
    },
  });
  const asset = { ...file, temporary: true, leading };
  const unpacked = join(work, 'unpacked');
  await mkdir(unpacked);
  try {
    const entries = await unpackArchive(file.path, 'zip', 64 * MB, unpacked, leading);
    return await Promise.all(
      entries.map(async (e) => ({ path: e.path, data: await readFile(e.file?.path ?? '') })),
    );
  } finally {
    await discardAsset(asset);
    await rm(unpacked, { recursive: true, force: true });
  }
}

/** `data` with its last four bytes set so that its CRC-32 is `target`. */
function withCrc(data: Buffer, target: number): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const byTopByte = new Map(table.map((value, index) => [value >>> 24, index]));
  const indices: number[] = [];
  let state = (target ^ 0xffffffff) >>> 0;
  for (let i = 0; i < 4; i++) {
    const index = byTopByte.get(state >>> 24) ?? 0;
    indices.unshift(index);
    state = ((state ^ (table[index] ?? 0)) << 8) >>> 0;
  }
  const forged = Buffer.from(data);
  let crc = (crc32(data.subarray(0, data.length - 4)) ^ 0xffffffff) >>> 0;
  for (const [i, index] of indices.entries()) {
    const byte = (crc ^ index) & 0xff;
    forged[data.length - 4 + i] = byte;
    crc = ((table[index] ?? 0) ^ (crc >>> 8)) >>> 0;
  }
  return forged;
}

describe('a zip unpacked while it downloads', () => {
  it('unpacks every member byte for byte and leaves nothing behind', async () => {
    const binary = randomBytes(3 * MB + 17);
    const license = Buffer.from('MIT\n'.repeat(1000));
    const zip = makeZip([
      { name: 'acme', data: binary },
      { name: 'LICENSE', data: license },
    ]);
    const members = await downloadAndUnpack(zip);
    expect(members.map((m) => m.path)).toEqual(['acme', 'LICENSE']);
    expect(members[0]?.data.equals(binary)).toBe(true);
    expect(members[1]?.data.equals(license)).toBe(true);
    expect(await readdir(work)).toEqual([]);
  });

  it('unpacks what the central directory lists, not a member hidden in front of it', async () => {
    const binary = randomBytes(2 * MB);
    // Same name, size, CRC and compressed size: only where it sits tells it apart.
    const hidden = withCrc(randomBytes(binary.length), crc32(binary));
    expect(crc32(hidden)).toBe(crc32(binary));
    expect(deflateRawSync(hidden).length).toBe(deflateRawSync(binary).length);
    const zip = makeZip([
      { name: 'acme', data: hidden, unlisted: true },
      { name: 'acme', data: binary },
    ]);
    const members = await downloadAndUnpack(zip);
    expect(members).toHaveLength(1);
    expect(
      createHash('sha256')
        .update(members[0]?.data ?? '')
        .digest('hex'),
    ).toBe(createHash('sha256').update(binary).digest('hex'));
  });

  it('calls a first member damaged when its deflate stream runs past the data the directory gives it', async () => {
    const binary = randomBytes(2 * MB);
    const zip = makeZip([{ name: 'acme', data: binary }]);
    // The central entry's compressed size, 100 bytes short; its size and CRC still fit the whole stream.
    const central = zip.length - 22 - 46 - 4;
    zip.writeUInt32LE(zip.readUInt32LE(central + 20) - 100, central + 20);
    await expect(downloadAndUnpack(zip)).rejects.toThrow(
      'the zip archive is damaged: acme does not inflate',
    );
  });
});

describe('inflateLeadingMember', () => {
  it('gives up, leaving no file, when the download fails halfway', async () => {
    const zip = makeZip([{ name: 'acme', data: randomBytes(4 * MB) }]);
    const path = join(work, 'download');
    const handle = await open(path, 'w');
    const growing = new GrowingFile(path);
    const leading = inflateLeadingMember(growing, 64 * MB, work);
    await handle.write(zip.subarray(0, 3 * MB));
    growing.grew(3 * MB);
    // Until the member inflated so far is on disk, so giving up has a file to remove.
    for (let i = 0; i < 200 && (await readdir(work)).length < 2; i++) await sleep(5);
    expect(await readdir(work)).toHaveLength(2);
    growing.end(new Error('the connection closed'));
    await handle.close();
    expect(await leading).toBeNull();
    expect(await readdir(work)).toEqual(['download']);
  });
});
