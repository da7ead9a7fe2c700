import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArtifactError } from '../domain/errors.ts';
import { sha256File } from '../artifact/hash.ts';

export type PluginFileState = { present: false } | { present: true; sha256: string };

export async function inspectPluginFile(
  directory: string,
  command: string,
): Promise<PluginFileState> {
  const path = await pluginFilePath(directory, command);
  try {
    await stat(path);
  } catch {
    return { present: false };
  }
  return { present: true, sha256: await sha256File(path) };
}

/**
 * Copies under an unpredictable temporary name, created new, and renames, so
 * a server never sees a half-written plugin under the name it will run and
 * nothing planted in the directory can redirect the write: an exclusive
 * create fails on any name that exists, a symlink too, and never follows
 * one. The kernel copies (copy_file_range), several times faster than a
 * stream through the process. Returns the path as the user named the
 * directory.
 */
export async function placePluginFile(
  binary: string,
  directory: string,
  command: string,
): Promise<string> {
  const target = await pluginFilePath(directory, command);
  const named = join(directory, command);
  const partial = join(dirname(target), `.${command}.${randomBytes(12).toString('hex')}.partial`);
  let created = false;
  try {
    await copyFile(binary, partial, constants.COPYFILE_EXCL);
    created = true;
    await chmod(partial, 0o755);
    await rename(partial, target);
  } catch (error) {
    if (created) await rm(partial, { force: true });
    const detail = error instanceof Error ? error.message : String(error);
    throw new ArtifactError(`plugin-directory: could not write ${named}: ${detail}`);
  }
  return named;
}

/**
 * Where the server will look for `command`: a file directly in the plugin
 * directory once symlinks are resolved, as Vault and OpenBao require. The
 * directory may itself be a symlink; a command that climbs out (a server's
 * catalog entry is not trusted) or a symlink in it that leads out is refused.
 */
async function pluginFilePath(directory: string, command: string): Promise<string> {
  const root = await realDirectory(directory);
  const refuse = (why: string): ArtifactError =>
    new ArtifactError(
      `plugin-directory: the command ${JSON.stringify(command)} ${why}; refusing to write outside "${directory}"`,
    );
  if (!command || command === '.' || command === '..' || /[/\\\0]/.test(command)) {
    throw refuse('is not a file name directly in the plugin directory');
  }
  const path = join(root, command);
  let isLink = false;
  try {
    isLink = (await lstat(path)).isSymbolicLink();
  } catch {
    // Absent: the rename will create it in `root`.
  }
  if (!isLink) return path;
  let resolved: string;
  try {
    resolved = await realpath(path);
  } catch {
    throw refuse('is a symbolic link that leads nowhere');
  }
  if (dirname(resolved) !== root) throw refuse(`is a symbolic link to ${resolved}`);
  return path;
}

async function realDirectory(directory: string): Promise<string> {
  try {
    const real = await realpath(directory);
    if ((await stat(real)).isDirectory()) return real;
  } catch {
    // Reported below, as for any path that is not a directory.
  }
  throw new ArtifactError(
    `plugin-directory: "${directory}" is not a directory this runner can reach`,
  );
}
