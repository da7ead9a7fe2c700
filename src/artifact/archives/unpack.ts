import type { LeadingMember } from './leading-member.ts';
import { Unpacking, type ArchiveEntry } from './unpacking.ts';

/** A plugin release holds a handful of files; ten thousand is far past any real one. */
const MAX_MEMBERS = 10_000;

/**
 * Reads a zip (with yauzl) or a tar.gz (with node-tar), streaming: no
 * member is ever whole in memory. Each reader hands every member to an
 * `Unpacking`, which checks its name and link before a byte of it is
 * written, counts members and bytes against the limits, and writes each
 * file, hashed on the way, under a generated name in `directory`, never
 * under its archive path; a zip's first member may come `leading`, inflated
 * while the archive downloaded.
 */
export async function unpackArchive(
  archivePath: string,
  format: 'zip' | 'tar.gz',
  maxBytes: number,
  directory: string,
  leading?: Promise<LeadingMember | null>,
): Promise<ArchiveEntry[]> {
  const unpacking = new Unpacking(maxBytes, MAX_MEMBERS, directory);
  // Each reader loads only for an archive of its kind; a raw binary needs neither.
  if (format === 'zip') {
    const { readZip } = await import('./zip-reader.ts');
    await readZip(archivePath, unpacking, leading);
  } else {
    const { readTarGz } = await import('./tar-reader.ts');
    await readTarGz(archivePath, unpacking);
  }
  return unpacking.entries;
}
