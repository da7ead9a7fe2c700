import { posix } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';
import type { ArchiveEntry } from '../archives/unpacking.ts';

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';

export type LayerVerdict =
  | { kind: 'file'; entry: ArchiveEntry }
  /** A whiteout in this layer deletes the path from the layers below. */
  | { kind: 'deleted' }
  | { kind: 'absent' };

/**
 * What one layer says of `path`, read as a container's filesystem is built
 * (and as go-containerregistry's flattening, which OpenBao's downloader
 * reads, builds it): the layers are read from the top; the first that holds
 * the path decides, and a whiteout (`.wh.<name>`, or `.wh..wh..opq` for a
 * whole directory) hides it in every layer below.
 */
export function lookInLayer(entries: readonly ArchiveEntry[], path: string): LayerVerdict {
  const entry = entries.find((e) => e.path === path);
  if (entry) {
    if (entry.kind === 'file') return { kind: 'file', entry };
    throw new ArtifactError(
      `artifact: the image's ${path} is a ${entry.kind === 'symlink' ? 'symbolic link' : entry.kind === 'hardlink' ? 'hard link' : 'directory'}, not a file; OpenBao takes only a regular file`,
    );
  }
  for (const e of entries) {
    const base = posix.basename(e.path);
    if (!base.startsWith(WHITEOUT)) continue;
    const directory = posix.dirname(e.path);
    const within = (dir: string): boolean => dir === '.' || path.startsWith(`${dir}/`);
    if (
      base === OPAQUE
        ? within(directory)
        : hides(posix.join(directory, base.slice(WHITEOUT.length)), path)
    ) {
      return { kind: 'deleted' };
    }
  }
  return { kind: 'absent' };
}

function hides(deleted: string, path: string): boolean {
  return path === deleted || path.startsWith(`${deleted}/`);
}
