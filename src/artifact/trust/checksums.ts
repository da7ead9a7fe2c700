import { ArtifactError } from '../../domain/errors.ts';

export interface ChecksumEntry {
  sha256: string;
  name: string;
}

const GNU_LINE = /^([0-9a-fA-F]{64})\s+\*?(.+)$/;
const BSD_LINE = /^SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]{64})$/;
const BARE_HASH = /^([0-9a-fA-F]{64})$/;

/**
 * Reads `sha256sum` output (text or binary mode), BSD `SHA256 (name) = …`
 * lines, and the one-hash `<asset>.sha256` form, whose name is implied.
 */
export function parseChecksums(text: string, impliedName: string | null): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const gnu = GNU_LINE.exec(line);
    const bsd = gnu ? null : BSD_LINE.exec(line);
    const bare = gnu || bsd ? null : BARE_HASH.exec(line.split(/\s+/)[0] ?? '');
    if (gnu?.[1] && gnu[2]) entries.push({ sha256: gnu[1].toLowerCase(), name: baseName(gnu[2]) });
    else if (bsd?.[1] && bsd[2])
      entries.push({ sha256: bsd[2].toLowerCase(), name: baseName(bsd[1]) });
    else if (bare?.[1] && impliedName)
      entries.push({ sha256: bare[1].toLowerCase(), name: impliedName });
  }
  return entries;
}

/** Sums files often list `./dist/name`; assets and archive members are matched by base name. */
export function baseName(path: string): string {
  return path.trim().replace(/^.*[\\/]/, '');
}

/**
 * The release's checksums files that could cover this asset, best first:
 * the asset's own `.sha256`, then the release-wide sums files in the
 * layouts HashiCorp, OpenBao, GoReleaser and hand-made releases use.
 */
export function checksumFileCandidates(assetNames: readonly string[], asset: string): string[] {
  const rank = (name: string): number => {
    if (name === `${asset}.sha256` || name === `${asset}.sha256sum`) return 0;
    if (/SHA256SUMS$/i.test(name)) return 1;
    if (/^checksums(-.*)?\.txt$/i.test(name) || /_checksums\.txt$/i.test(name)) return 2;
    return -1;
  };
  return assetNames
    .filter((name) => name !== asset && rank(name) >= 0)
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

export interface ChecksumVerdict {
  file: string;
  covers: ('archive' | 'binary')[];
}

/**
 * Checks every hash the sums file gives for what we downloaded: the asset
 * itself and the binary inside it. A sums file that names neither proves
 * nothing, so it is an error rather than a silent pass.
 */
export function verifyAgainstChecksums(
  file: string,
  entries: readonly ChecksumEntry[],
  asset: { name: string; sha256: string },
  binary: { name: string; sha256: string } | null,
): ChecksumVerdict {
  const covers: ChecksumVerdict['covers'] = [];
  const check = (what: 'archive' | 'binary', name: string, actual: string): void => {
    const listed = entries.filter((e) => e.name === name);
    if (listed.length === 0) return;
    const wrong = listed.find((e) => e.sha256 !== actual);
    if (wrong) {
      throw new ArtifactError(
        `checksum mismatch: ${file} lists ${name} as sha256 ${wrong.sha256}, but the downloaded ${what} is ${actual}`,
      );
    }
    covers.push(what);
  };
  check('archive', asset.name, asset.sha256);
  if (binary && binary.name !== asset.name) check('binary', binary.name, binary.sha256);
  if (covers.length === 0) {
    const named = binary && binary.name !== asset.name ? ` or ${binary.name}` : '';
    throw new ArtifactError(`checksums: ${file} has no entry for ${asset.name}${named}`);
  }
  return { file, covers };
}
