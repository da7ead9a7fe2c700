// The asset on disk turned into the plugin binary in the work directory:
// format detected, archive unpacked safely, binary picked and platform-checked.
import { randomUUID } from 'node:crypto';
import { chmod, copyFile, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../domain/errors.ts';
import type { Platform } from '../domain/platform.ts';
import type { TrustPolicy } from '../inputs/trust.ts';
import { unpackArchive } from './archives/unpack.ts';
import { checkPlatform, EXECUTABLE_HEAD_BYTES } from './trust/executable.ts';
import { discardAsset, type AssetFile } from './asset-file.ts';
import type { Located } from './locate.ts';
import { detectFormat, fileMembers, pickBinary, type ArchiveFormat } from './archives/members.ts';

/** What taking the binary out needs of the run. */
export interface UnpackContext {
  pluginName: string;
  platform: Platform;
  workDirectory: string;
  log: (line: string) => void;
}

/** The asset on disk, its format, and the binary taken out of it into the work directory. */
export interface Unpacked {
  /** The asset as downloaded or taken from the cache; for a raw binary, the binary itself. */
  asset: AssetFile;
  format: ArchiveFormat;
  /** The binary's path inside the archive, or the asset name for a raw binary. */
  binaryName: string;
  binaryPath: string;
  sha256: string;
}

export async function unpackAsset(
  asset: AssetFile,
  located: Located,
  trust: TrustPolicy,
  ctx: UnpackContext,
): Promise<Unpacked> {
  const unpacked = join(ctx.workDirectory, `unpack-${randomUUID()}`);
  const binaryPath = join(ctx.workDirectory, `binary-${randomUUID()}`);
  try {
    const head = await readHead(asset.path, EXECUTABLE_HEAD_BYTES);
    const format = detectFormat(head);
    if (format === 'raw') {
      refuseErrorPage(head, located.asset);
      checkPlatform(located.asset, head, ctx.platform);
      logAsset(located.asset, format, asset, located.asset, asset.sha256, ctx);
      // A download of this run is moved, never copied, and from then on is the binary; the user's own file is copied.
      if (asset.temporary) await rename(asset.path, binaryPath);
      else await copyFile(asset.path, binaryPath);
      await chmod(binaryPath, 0o755);
      return {
        asset: asset.temporary ? { ...asset, path: binaryPath, temporary: false } : asset,
        format,
        binaryName: located.asset,
        binaryPath,
        sha256: asset.sha256,
      };
    }
    await mkdir(unpacked);
    const members = fileMembers(
      await unpackArchive(asset.path, format, trust.maxBytes, unpacked, asset.leading),
    );
    const member = pickBinary(members, ctx.pluginName, trust.binary);
    // An empty member was never written, and is no executable either.
    const binaryHead =
      member.file.size > 0
        ? await readHead(member.file.path, EXECUTABLE_HEAD_BYTES)
        : Buffer.alloc(0);
    checkPlatform(member.path, binaryHead, ctx.platform);
    logAsset(located.asset, format, asset, member.path, member.file.sha256, ctx);
    await rename(member.file.path, binaryPath);
    await chmod(binaryPath, 0o755);
    return {
      asset,
      format,
      binaryName: member.path,
      binaryPath,
      sha256: member.file.sha256,
    };
  } catch (error) {
    await discardAsset(asset);
    throw error;
  } finally {
    await rm(unpacked, { recursive: true, force: true });
  }
}

function logAsset(
  name: string,
  format: ArchiveFormat,
  asset: AssetFile,
  binaryName: string,
  binarySha256: string,
  ctx: UnpackContext,
): void {
  ctx.log(
    `${name}: ${format}, ${asset.size} bytes, sha256 ${asset.sha256}; binary ${binaryName}: sha256 ${binarySha256}`,
  );
}

/** Removes a download or a copy taken from the cache; never the user's own file. */
export async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path);
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A proxy or a wrong URL often answers 200 with an HTML page; that is never a plugin. */
function refuseErrorPage(data: Buffer, asset: string): void {
  const text = data.subarray(0, 256).toString('latin1').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html')) {
    throw new ArtifactError(
      `${asset}: the download is an HTML page, not a plugin binary or archive`,
    );
  }
}
