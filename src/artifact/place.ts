import { chmod, copyFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../errors.ts';
import { sha256File } from './hash.ts';

export type PluginFileState = { present: false } | { present: true; sha256: string };

export async function inspectPluginFile(
  directory: string,
  command: string,
): Promise<PluginFileState> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(directory)).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) {
    throw new ArtifactError(
      `plugin-directory: "${directory}" is not a directory this runner can reach`,
    );
  }
  const path = join(directory, command);
  try {
    await stat(path);
  } catch {
    return { present: false };
  }
  return { present: true, sha256: await sha256File(path) };
}

/**
 * Copies under a temporary name and renames, so a server never sees a
 * half-written plugin under the name it will run.
 */
export async function placePluginFile(
  binary: string,
  directory: string,
  command: string,
): Promise<string> {
  const target = join(directory, command);
  const partial = join(directory, `.${command}.${process.pid}.partial`);
  try {
    await copyFile(binary, partial);
    await chmod(partial, 0o755);
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    const detail = error instanceof Error ? error.message : String(error);
    throw new ArtifactError(`plugin-directory: could not write ${target}: ${detail}`);
  }
  return target;
}
