import { describe, expect, it } from 'vitest';
import {
  checksumFileCandidates,
  parseChecksums,
  verifyAgainstChecksums,
} from '../../../../src/artifact/trust/checksums.ts';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('parseChecksums', () => {
  it('reads sha256sum text and binary mode, BSD lines and paths', () => {
    const text = `${A}  acme_1.0.0_linux_amd64.zip\n${B} *./dist/acme\n\nSHA256 (acme.exe) = ${A.toUpperCase()}\n# comment\n`;
    expect(parseChecksums(text, null)).toEqual([
      { sha256: A, name: 'acme_1.0.0_linux_amd64.zip' },
      { sha256: B, name: 'acme' },
      { sha256: A, name: 'acme.exe' },
    ]);
  });

  it('gives a bare hash the name of the asset it belongs to', () => {
    expect(parseChecksums(`${B}\n`, 'acme.zip')).toEqual([{ sha256: B, name: 'acme.zip' }]);
  });
});

describe('checksumFileCandidates', () => {
  it('prefers the asset’s own .sha256, then SUMS files, then checksums.txt', () => {
    const names = [
      'checksums.txt',
      'acme.zip',
      'acme_1.0.0_SHA256SUMS',
      'acme.zip.sha256',
      'acme_1.0.0_SHA256SUMS.sig',
      'notes.txt',
    ];
    expect(checksumFileCandidates(names, 'acme.zip')).toEqual([
      'acme.zip.sha256',
      'acme_1.0.0_SHA256SUMS',
      'checksums.txt',
    ]);
  });
});

describe('verifyAgainstChecksums', () => {
  const entries = [
    { sha256: A, name: 'acme.zip' },
    { sha256: B, name: 'acme' },
  ];

  it('checks the archive and the binary when both are listed', () => {
    expect(
      verifyAgainstChecksums(
        'SUMS',
        entries,
        { name: 'acme.zip', sha256: A },
        { name: 'acme', sha256: B },
      ),
    ).toEqual({
      file: 'SUMS',
      covers: ['archive', 'binary'],
    });
  });

  it('names the file, the entry and both hashes on a mismatch', () => {
    expect(() =>
      verifyAgainstChecksums(
        'SUMS',
        entries,
        { name: 'acme.zip', sha256: A },
        { name: 'acme', sha256: A },
      ),
    ).toThrow(
      `checksum mismatch: SUMS lists acme as sha256 ${B}, but the downloaded binary is ${A}`,
    );
  });

  it('refuses a sums file that covers neither', () => {
    expect(() =>
      verifyAgainstChecksums(
        'SUMS',
        entries,
        { name: 'other.zip', sha256: A },
        { name: 'other', sha256: B },
      ),
    ).toThrow('checksums: SUMS has no entry for other.zip or other');
  });
});
