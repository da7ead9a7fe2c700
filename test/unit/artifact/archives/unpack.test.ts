import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unpackArchive } from '../../../../src/artifact/archives/unpack.ts';
import { sha256File } from '../../../../src/artifact/hash.ts';
import { checkPlatform, executableKind } from '../../../../src/artifact/trust/executable.ts';
import { selectAsset } from '../../../../src/artifact/select-asset.ts';
import { fileMembers, pickBinary } from '../../../../src/artifact/archives/members.ts';
import { emptyMembersTarGz, makeTarGz, makeZip } from '../../../../lab/archives.ts';

const MB = 1024 * 1024;

let work = '';
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'archive-test-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

let archives = 0;
async function unpack(archive: Buffer, format: 'zip' | 'tar.gz', maxBytes: number) {
  const path = join(work, `archive-${++archives}`);
  await writeFile(path, archive);
  return unpackArchive(path, format, maxBytes, work);
}

describe('unpackArchive', () => {
  it('stops a zip member that inflates past what it declares', async () => {
    const zip = makeZip([{ name: 'acme', data: Buffer.alloc(4 * MB) }]);
    zip.writeUInt32LE(100, zip.length - 22 - 46 - 4 + 24);
    await expect(unpack(zip, 'zip', 64 * MB)).rejects.toThrow(
      'the zip archive is damaged: acme unpacks to more than the 100 bytes it declares',
    );
  });

  it('finds a zip member whose bytes fail their CRC-32', async () => {
    const zip = makeZip([{ name: 'acme', data: Buffer.alloc(1000, 1) }]);
    zip.writeUInt32LE(0, zip.length - 22 - 46 - 4 + 16);
    await expect(unpack(zip, 'zip', MB)).rejects.toThrow(
      'the zip archive is damaged: acme fails its CRC-32 check',
    );
  });

  it('stops a tar.gz whose members add up past max-size', async () => {
    const tgz = makeTarGz([
      { name: 'a', data: Buffer.alloc(600_000) },
      { name: 'b', data: Buffer.alloc(600_000) },
    ]);
    await expect(unpack(tgz, 'tar.gz', MB)).rejects.toThrow(
      `the archive unpacks to more than max-size (${MB} bytes)`,
    );
  });

  it('unpacks each file with its hash', async () => {
    const data = Buffer.from('plugin bytes');
    const [entry] = await unpack(makeZip([{ name: 'acme', data }]), 'zip', MB);
    expect(entry?.file?.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(await readFile(entry?.file?.path ?? '')).toEqual(data);
  });

  // Several reads and many inflated chunks, so a buffer reused too early would show in the hash.
  it('unpacks members larger than a read, stored or compressed, byte for byte', async () => {
    const data = randomBytes(5 * MB + 123);
    const digest = createHash('sha256').update(data).digest('hex');
    const archives = [
      unpack(makeZip([{ name: 'acme', data, stored: true }]), 'zip', 64 * MB),
      unpack(makeZip([{ name: 'acme', data }]), 'zip', 64 * MB),
      unpack(makeTarGz([{ name: 'acme', data }]), 'tar.gz', 64 * MB),
    ];
    for (const [entry] of await Promise.all(archives)) {
      expect(entry?.file?.sha256).toBe(digest);
      expect(entry?.file?.size).toBe(data.length);
      expect(entry?.file && (await sha256File(entry.file.path))).toBe(digest);
    }
  });

  it('calls a zip member that does not inflate damaged', async () => {
    const zip = makeZip([{ name: 'acme', data: randomBytes(3 * MB) }]);
    // After the local header and name: a first block of the reserved type 3.
    zip.fill(0xff, 34, 35);
    await expect(unpack(zip, 'zip', 64 * MB)).rejects.toThrow(
      'the zip archive is damaged: acme does not inflate',
    );
  });

  it('calls a tar.gz that does not gunzip damaged', async () => {
    const tgz = makeTarGz([{ name: 'acme', data: randomBytes(3 * MB) }]);
    tgz.fill(0xff, MB, MB + 64);
    await expect(unpack(tgz, 'tar.gz', 64 * MB)).rejects.toThrow(
      'the tar.gz archive is damaged: it does not gunzip',
    );
  });

  it('keeps links that stay inside, and a hard link stands for its target', async () => {
    const entries = await unpack(
      makeTarGz([
        { name: './bin/plugin', data: Buffer.from('x'), mode: 0o755 },
        { name: 'acme', hardLink: 'bin/plugin' },
        { name: 'bin/current', link: 'plugin' },
      ]),
      'tar.gz',
      MB,
    );
    const members = fileMembers(entries);
    const contents = await Promise.all(members.map((m) => readFile(m.file.path, 'utf8')));
    expect(members.map((m, i) => [m.path, m.executable, contents[i]])).toEqual([
      ['acme', true, 'x'],
      ['bin/plugin', true, 'x'],
    ]);
    expect(pickBinary(fileMembers(entries), 'acme', '').path).toBe('acme');
  });

  it('refuses a zip with more members than the limit before reading any', async () => {
    const members = Array.from({ length: 10_001 }, (_, i) => ({
      name: `f${i}`,
      data: Buffer.alloc(0),
    }));
    await expect(unpack(makeZip(members), 'zip', MB)).rejects.toThrow(
      'the archive holds more than 10000 members; a plugin release holds a handful',
    );
  });

  // 243 s and 3.1 GiB before members were counted.
  it('stops a tar.gz of a million empty members at the limit, fast and in little memory', async () => {
    const tgz = await emptyMembersTarGz(1_000_000);
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    await expect(unpack(tgz, 'tar.gz', 512 * MB)).rejects.toThrow(
      'the archive holds more than 10000 members; a plugin release holds a handful',
    );
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * MB);
  });

  it('refuses a member whose path goes through ..', async () => {
    await expect(
      unpack(makeTarGz([{ name: 'bin/../acme', data: Buffer.from('x') }]), 'tar.gz', MB),
    ).rejects.toThrow(
      'archive member "bin/../acme" has ".." in its path; tar refuses such members',
    );
  });

  it('refuses a zip symbolic link out of the archive', async () => {
    await expect(
      unpack(makeZip([{ name: 'lib/x', link: '../../etc/passwd' }]), 'zip', MB),
    ).rejects.toThrow(
      'archive member "lib/x" is a symbolic link to "../../etc/passwd", outside the archive',
    );
  });

  it('refuses a link that climbs out through a subdirectory', async () => {
    await expect(
      unpack(makeTarGz([{ name: 'a/b', link: '../../x' }]), 'tar.gz', MB),
    ).rejects.toThrow('archive member "a/b" is a symbolic link to "../../x", outside the archive');
  });
});

describe('executableKind', () => {
  it('reads Mach-O arm64 and PE amd64 headers', () => {
    const macho = Buffer.alloc(32);
    macho.writeUInt32LE(0xfeedfacf, 0);
    macho.writeUInt32LE(0x0100000c, 4);
    expect(executableKind(macho)).toEqual({ os: 'darwin', arch: 'arm64' });
    const pe = Buffer.alloc(128);
    pe.write('MZ', 0, 'latin1');
    pe.writeUInt32LE(64, 60);
    pe.writeUInt32BE(0x50450000, 64);
    pe.writeUInt16LE(0x8664, 68);
    expect(executableKind(pe)).toEqual({ os: 'windows', arch: 'amd64' });
    expect(() => checkPlatform('acme.exe', pe, { os: 'linux', arch: 'amd64' })).toThrow(
      'acme.exe is built for windows/amd64, but the servers are linux/amd64; pick the asset for linux/amd64 or set platform',
    );
  });
});

describe('selectAsset', () => {
  const names = [
    'acme_1.0.0_linux_amd64.zip',
    'acme_1.0.0_linux_arm64.zip',
    'acme_1.0.0_SHA256SUMS',
  ];

  it('matches one asset by glob, never a checksums file', () => {
    expect(selectAsset(names, 'acme_*_linux_a[m]d64.zip', 'r')).toBe('acme_1.0.0_linux_amd64.zip');
  });

  it('lists the matches when a glob is ambiguous', () => {
    expect(() => selectAsset(names, 'acme_*', 'release acme/acme@v1.0.0')).toThrow(
      'artifact: acme_* matches 2 assets of release acme/acme@v1.0.0 (acme_1.0.0_linux_amd64.zip, acme_1.0.0_linux_arm64.zip); make it match one',
    );
  });
});
