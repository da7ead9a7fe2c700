import { createHash, randomUUID } from 'node:crypto';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { ArtifactError } from '../domain/errors.ts';
import { followGet } from '../http/get.ts';
import { GrowingFile } from './growing-file.ts';

export interface DownloadRequest {
  url: string;
  /** Shown in errors instead of the URL, which may be an opaque API address. */
  label: string;
  /** Sent only to its own origin, the GitHub API's; a download without one sends no token. */
  credential?: { authorization: string; origin: string };
  accept?: string;
  maxBytes: number;
  directory: string;
  signal?: AbortSignal;
  /** Given the file as soon as it exists, to read it while it downloads. */
  follow?: (file: GrowingFile) => void;
}

export interface Downloaded {
  path: string;
  sha256: string;
  size: number;
}

const WRITE_BATCH = 1024 * 1024;

/**
 * Streams a file to disk, hashing it and counting bytes on the way. Redirects
 * are followed by hand: the credential goes only to the origin it was meant
 * for (GitHub redirects assets to signed storage URLs), and a redirect from
 * https to plain http is refused, since it would drop the transport's integrity.
 */
export async function download(request: DownloadRequest): Promise<Downloaded> {
  const response = await follow(request);
  const declared = Number(response.headers['content-length'] ?? '');
  if (declared > request.maxBytes) throw tooLarge(request);
  const path = join(request.directory, `download-${randomUUID()}`);
  const hash = createHash('sha256');
  const growing = new GrowingFile(path);
  let size = 0;
  try {
    // Socket reads arrive 64 KiB at a time; they are written a batch of up to
    // WRITE_BATCH bytes per call, and reading waits for each write, so no
    // more than a batch is held however fast the server sends.
    const handle = await open(path, 'w', 0o600);
    request.follow?.(growing);
    try {
      let batch: Buffer[] = [];
      let batched = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > request.maxBytes) throw tooLarge(request);
        hash.update(chunk);
        batch.push(chunk);
        batched += chunk.length;
        if (batched >= WRITE_BATCH) {
          await writeAll(handle, batch, batched);
          growing.grew(size);
          batch = [];
          batched = 0;
        }
      }
      if (batch.length > 0) await writeAll(handle, batch, batched);
    } finally {
      await handle.close();
    }
    if (size === 0) throw new ArtifactError(`download of ${request.label} is empty (0 bytes)`);
  } catch (error) {
    const failure =
      error instanceof ArtifactError
        ? error
        : new ArtifactError(`download of ${request.label} failed: ${messageOf(error)}`);
    growing.end(failure);
    await rm(path, { force: true });
    throw failure;
  }
  growing.grew(size);
  growing.end();
  return { path, sha256: hash.digest('hex'), size };
}

async function follow(request: DownloadRequest): Promise<Dispatcher.ResponseData> {
  const { response, url } = await followGet(new URL(request.url), {
    headers: request.accept ? { accept: request.accept } : {},
    ...(request.credential ? { credential: request.credential } : {}),
    what: `download of ${request.label}`,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const status = response.statusCode;
  if (status < 200 || status >= 300) {
    await response.body.dump();
    throw new ArtifactError(`download of ${request.label} failed: HTTP ${status} from ${url.host}`);
  }
  return response;
}

/** A short write (a full disk) would leave a file shorter than the bytes hashed. */
async function writeAll(handle: FileHandle, batch: Buffer[], bytes: number): Promise<void> {
  const { bytesWritten } = await handle.writev(batch);
  if (bytesWritten !== bytes) {
    throw new Error(`wrote ${bytesWritten} of ${bytes} bytes to disk`);
  }
}

function tooLarge(request: DownloadRequest): ArtifactError {
  return new ArtifactError(
    `download of ${request.label} is larger than max-size (${request.maxBytes} bytes); raise max-size if this plugin is really that large`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
