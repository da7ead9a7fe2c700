import { describe, expect, it } from 'vitest';
import { readArchive } from '../../src/artifact/archive.ts';
import { checkPlatform, executableKind } from '../../src/artifact/executable.ts';
import { selectAsset } from '../../src/artifact/select-asset.ts';
import { fileMembers, pickBinary } from '../../src/artifact/unpack.ts';
import { makeTarGz, makeZip } from '../lab/archives.ts';

const MB = 1024 * 1024;

describe('readArchive', () => {
  it('stops a zip member that inflates past what it declares', () => {
    const zip = makeZip([{ name: 'acme', data: Buffer.alloc(4 * MB) }]);
    zip.writeUInt32LE(100, zip.length - 22 - 46 - 4 + 24);
    expect(() => readArchive(zip, 'zip', 64 * MB)).toThrow(
      'the zip archive is damaged: acme unpacks to more than the 100 bytes it declares',
    );
  });

  it('keeps links that stay inside, and a hard link stands for its target', () => {
    const entries = readArchive(
      makeTarGz([
        { name: './bin/plugin', data: Buffer.from('x'), mode: 0o755 },
        { name: 'acme', hardLink: 'bin/plugin' },
        { name: 'bin/current', link: 'plugin' },
      ]),
      'tar.gz',
      MB,
    );
    expect(fileMembers(entries).map((m) => [m.path, m.executable, m.data.toString()])).toEqual([
      ['acme', true, 'x'],
      ['bin/plugin', true, 'x'],
    ]);
    expect(pickBinary(fileMembers(entries), 'acme', '').path).toBe('acme');
  });

  it('refuses a link that climbs out through a subdirectory', () => {
    expect(() => readArchive(makeTarGz([{ name: 'a/b', link: '../../x' }]), 'tar.gz', MB)).toThrow(
      'archive member "a/b" is a symbolic link to "../../x", outside the archive',
    );
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
