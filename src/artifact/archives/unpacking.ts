import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';
import { FileSink, type SunkFile } from '../sink.ts';

export type MemberKind = 'file' | 'directory' | 'symlink' | 'hardlink';

/** One entry of an archive; regular files are already unpacked to disk and hashed. */
export interface ArchiveEntry {
  /** Path inside the archive, with `/` separators and no `.` segments. */
  path: string;
  kind: MemberKind;
  mode: number;
  /** Target of a link, as stored (a hard link's normalised like a path). */
  link: string;
  /** Set for files only. */
  file: SunkFile | null;
}

export function tooBig(maxBytes: number): ArtifactError {
  return new ArtifactError(
    `the archive unpacks to more than max-size (${maxBytes} bytes); raise max-size if this plugin is really that large`,
  );
}

/**
 * The rules every member must pass, whichever reader found it. The readers
 * say what the archive holds; this decides what may land on disk.
 */
export class Unpacking {
  readonly entries: ArchiveEntry[] = [];
  readonly maxBytes: number;
  readonly maxMembers: number;
  private readonly outDirectory: string;
  private members = 0;
  private bytes = 0;
  private readonly paths = new Set<string>();

  constructor(maxBytes: number, maxMembers: number, directory: string) {
    this.maxBytes = maxBytes;
    this.maxMembers = maxMembers;
    this.outDirectory = directory;
  }

  /** For formats that state their member count up front: refuse before reading any. */
  expectMembers(count: number): void {
    if (count > this.maxMembers) throw this.tooMany();
  }

  /** For formats that state their sizes up front: refuse a bomb before inflating any of it. */
  expectBytes(total: number): void {
    if (total > this.maxBytes) throw tooBig(this.maxBytes);
  }

  /**
   * Counts a member and checks its name; returns the name normalised, or
   * null for the archive's own root (`./`), which is no member at all.
   */
  begin(rawPath: string, kind: MemberKind): string | null {
    this.members++;
    if (this.members > this.maxMembers) throw this.tooMany();
    const path = normalise(rawPath);
    if (path === '' && kind === 'directory') return null;
    if (escapes(path, '')) {
      throw new ArtifactError(`archive member "${rawPath}" points outside the archive`);
    }
    if (path.split('/').includes('..')) {
      throw new ArtifactError(
        `archive member "${rawPath}" has ".." in its path; tar refuses such members`,
      );
    }
    if (kind !== 'directory') {
      // tar keeps the last of two members with one name, unzip asks which; neither is safe to guess.
      if (this.paths.has(path)) {
        throw new ArtifactError(`archive member "${path}" appears more than once`);
      }
      this.paths.add(path);
    }
    return path;
  }

  addDirectory(path: string, mode: number): void {
    this.entries.push({ path, kind: 'directory', mode, link: '', file: null });
  }

  addLink(path: string, kind: 'symlink' | 'hardlink', mode: number, rawLink: string): void {
    const link = kind === 'hardlink' ? normalise(rawLink) : rawLink;
    const base = kind === 'symlink' ? parentOf(path) : '';
    if (escapes(link, base)) {
      throw new ArtifactError(
        `archive member "${path}" is a ${kind === 'symlink' ? 'symbolic' : 'hard'} link to "${rawLink}", outside the archive`,
      );
    }
    this.entries.push({ path, kind, mode, link, file: null });
  }

  /**
   * Writes a file member of `size` bytes through `write`, which must stop at
   * the sink's limit; `overrun` says why when more bytes come than declared.
   */
  async addFile(
    path: string,
    mode: number,
    size: number,
    overrun: () => ArtifactError,
    write: (sink: FileSink) => Promise<void>,
  ): Promise<SunkFile> {
    this.count(size);
    const sink = new FileSink(join(this.outDirectory, `member-${randomUUID()}`), size, overrun);
    const file = await sink.finishOrAbort(() => write(sink));
    this.entries.push({ path, kind: 'file', mode, link: '', file });
    return file;
  }

  /** A file member already written, by whoever read it ahead; its bytes count all the same. */
  takeFile(path: string, mode: number, file: SunkFile): SunkFile {
    this.count(file.size);
    this.entries.push({ path, kind: 'file', mode, link: '', file });
    return file;
  }

  private count(size: number): void {
    this.bytes += size;
    if (this.bytes > this.maxBytes) throw tooBig(this.maxBytes);
  }

  private tooMany(): ArtifactError {
    return new ArtifactError(
      `the archive holds more than ${this.maxMembers} members; a plugin release holds a handful`,
    );
  }
}

/** `./a//b/` → `a/b`: the spellings tar and unzip unpack to the same place. */
function normalise(path: string): string {
  return path
    .split('/')
    .filter((segment, i) => segment !== '.' && (segment !== '' || i === 0))
    .join('/');
}

function parentOf(path: string): string {
  const cut = path.lastIndexOf('/');
  return cut < 0 ? '' : path.slice(0, cut);
}

/** Whether `path`, taken relative to `base`, lands outside the archive's directory. */
function escapes(path: string, base: string): boolean {
  if (path.startsWith('/') || path.includes('\\') || /^[A-Za-z]:/.test(path) || path === '') {
    return true;
  }
  let depth = base ? base.split('/').filter(Boolean).length : 0;
  for (const segment of path.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '' && segment !== '.') depth++;
    if (depth < 0) return true;
  }
  return false;
}
