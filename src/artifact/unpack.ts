import { open, readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tc from '@actions/tool-cache';
import { ArtifactError } from '../errors.ts';
import { baseName } from './checksums.ts';

export type ArchiveFormat = 'zip' | 'tar.gz' | 'raw';

export interface ArchiveMember {
  /** Path inside the archive, with `/` separators. */
  path: string;
  executable: boolean;
}

/** Asset names lie (`.zip` served as an HTML error page); the first bytes do not. */
export async function detectFormat(file: string): Promise<ArchiveFormat> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    if (head.readUInt32BE(0) === 0x504b0304) return 'zip';
    if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
    return 'raw';
  } finally {
    await handle.close();
  }
}

export async function extract(
  file: string,
  format: Exclude<ArchiveFormat, 'raw'>,
): Promise<string> {
  try {
    return format === 'zip' ? await tc.extractZip(file) : await tc.extractTar(file);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ArtifactError(`unpacking the ${format} archive failed: ${detail}`);
  }
}

export async function listMembers(root: string): Promise<ArchiveMember[]> {
  const members: ArchiveMember[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const mode = (await stat(full)).mode;
    members.push({
      path: relative(root, full).split('\\').join('/'),
      executable: (mode & 0o111) !== 0,
    });
  }
  return members.sort((a, b) => a.path.localeCompare(b.path));
}

const NOT_A_PLUGIN =
  /(^|\/)(LICEN[CS]E|NOTICE|README|CHANGELOG)[^/]*$|\.(md|txt|sig|asc|pem|sha256|json|ya?ml|html?)$/i;

/**
 * Picks the plugin binary in an archive: the file named by `binary`, else the
 * file named after the plugin, else the only executable, else the only file
 * that is not documentation. Anything else is ambiguous and must be named.
 */
export function pickBinary(
  members: readonly ArchiveMember[],
  pluginName: string,
  binary: string,
): ArchiveMember {
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
