import { ArtifactError } from '../../domain/errors.ts';
import type { ArchiveEntry } from './unpacking.ts';
import type { SunkFile } from '../sink.ts';
import { baseName } from '../trust/checksums.ts';

export type ArchiveFormat = 'zip' | 'tar.gz' | 'raw';

export interface ArchiveMember {
  /** Path inside the archive, with `/` separators. */
  path: string;
  executable: boolean;
}

/** Asset names lie (`.zip` served as an HTML error page); the first bytes do not. */
export function detectFormat(head: Buffer): ArchiveFormat {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x504b0304) return 'zip';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  return 'raw';
}

/**
 * The regular files of an archive, with hard links standing for the file
 * they name. Symbolic links inside the archive are left out: the binary
 * they point at is a member itself.
 */
export function fileMembers(
  entries: readonly ArchiveEntry[],
): (ArchiveMember & { file: SunkFile })[] {
  const files = new Map(entries.filter((e) => e.kind === 'file').map((e) => [e.path, e]));
  const members: (ArchiveMember & { file: SunkFile })[] = [];
  for (const entry of entries) {
    const target = entry.kind === 'hardlink' ? files.get(entry.link) : entry;
    if (entry.kind === 'hardlink' && !target) {
      throw new ArtifactError(
        `archive member "${entry.path}" is a hard link to "${entry.link}", which the archive does not hold`,
      );
    }
    if (!target?.file) continue;
    members.push({
      path: entry.path,
      executable: ((entry.kind === 'hardlink' ? target.mode : entry.mode) & 0o111) !== 0,
      file: target.file,
    });
  }
  // Code-unit order: the same on every runner, whatever its locale, and
  // without localeCompare, whose first call loads a collator (10–30 ms).
  return members.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const NOT_A_PLUGIN =
  /(^|\/)(LICEN[CS]E|NOTICE|README|CHANGELOG)[^/]*$|\.(md|txt|sig|asc|pem|sha256|json|ya?ml|html?)$/i;

/**
 * Picks the plugin binary in an archive: the file named by `binary`, else the
 * file named after the plugin, else the only executable, else the only file
 * that is not documentation. Anything else is ambiguous and must be named.
 */
export function pickBinary<T extends ArchiveMember>(
  members: readonly T[],
  pluginName: string,
  binary: string,
): T {
  if (binary) {
    const named = members.find((m) => m.path === binary || baseName(m.path) === binary);
    if (!named) {
      throw new ArtifactError(
        `binary: "${binary}" is not in the archive; it holds ${describe(members)}`,
      );
    }
    return named;
  }
  const byName = members.filter((m) => {
    const name = baseName(m.path).replace(/\.exe$/i, '');
    return name === pluginName;
  });
  if (byName.length === 1 && byName[0]) return byName[0];
  const executables = members.filter((m) => m.executable);
  if (executables.length === 1 && executables[0]) return executables[0];
  const programs = members.filter((m) => !NOT_A_PLUGIN.test(m.path));
  if (programs.length === 1 && programs[0]) return programs[0];
  if (members.length === 0) throw new ArtifactError('the archive holds no file');
  throw new ArtifactError(
    `the archive holds several candidate binaries (${describe(programs.length > 0 ? programs : members)}); name one with the binary input`,
  );
}

function describe(members: readonly ArchiveMember[]): string {
  return members.map((m) => m.path).join(', ') || 'no file';
}
