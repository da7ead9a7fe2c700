import { createHash, randomUUID } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { ArtifactError } from '../errors.ts';
import { networkReason, webGet } from '../web.ts';

export interface DownloadRequest {
  url: string;
  /** Shown in errors instead of the URL, which may be an opaque API address. */
  label: string;
  githubToken?: string;
  accept?: string;
  maxBytes: number;
  directory: string;
}

export interface Downloaded {
  path: string;
  sha256: string;
  size: number;
}

const MAX_REDIRECTS = 5;
const WRITE_BATCH = 1024 * 1024;

/**
 * Streams a file to disk, hashing it and counting bytes on the way. Redirects
 * are followed by hand: the token goes only to the origin it was meant for
 * (GitHub redirects assets to signed storage URLs), and a redirect from
 * https to plain http is refused, since it would drop the transport's integrity.
 */
export async function download(request: DownloadRequest): Promise<Downloaded> {
  const response = await follow(request);
  const declared = Number(response.headers['content-length'] ?? '');
  if (declared > request.maxBytes) throw tooLarge(request);
  const path = join(request.directory, `download-${randomUUID()}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    // Socket reads arrive 64 KiB at a time; they are written a batch of up to
    // WRITE_BATCH bytes per call, and reading waits for each write, so no
    // more than a batch is held however fast the server sends.
    const handle = await open(path, 'w', 0o600);
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
          await handle.writev(batch);
          batch = [];
          batched = 0;
        }
      }
      if (batch.length > 0) await handle.writev(batch);
    } finally {
      await handle.close();
    }
  } catch (error) {
    await rm(path, { force: true });
    if (error instanceof ArtifactError) throw error;
    throw new ArtifactError(`download of ${request.label} failed: ${messageOf(error)}`);
  }
  if (size === 0) {
    await rm(path, { force: true });
    throw new ArtifactError(`download of ${request.label} is empty (0 bytes)`);
  }
  return { path, sha256: hash.digest('hex'), size };
}

type Answer = Dispatcher.ResponseData;

async function follow(request: DownloadRequest): Promise<Answer> {
  let url = new URL(request.url);
  const origin = url.origin;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {};
    if (request.accept) headers.accept = request.accept;
    if (request.githubToken && url.origin === origin) {
      headers.authorization = `Bearer ${request.githubToken}`;
    }
    let response: Answer;
    try {
      response = await webGet(url, headers);
    } catch (error) {
      throw new ArtifactError(`download of ${request.label} failed: ${networkReason(error)}`);
    }
    const status = response.statusCode;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && typeof location === 'string') {
      await response.body.dump();
      const next = new URL(location, url);
      if (url.protocol === 'https:' && next.protocol !== 'https:') {
        throw new ArtifactError(
          `download of ${request.label} was redirected from https to ${next.protocol}//${next.host}; refusing an unencrypted download`,
        );
      }
      url = next;
      continue;
    }
    if (status < 200 || status >= 300) {
      await response.body.dump();
      throw new ArtifactError(
        `download of ${request.label} failed: HTTP ${status} from ${url.host}`,
      );
    }
    return response;
  }
  throw new ArtifactError(
    `download of ${request.label} failed: more than ${MAX_REDIRECTS} redirects`,
  );
}

function tooLarge(request: DownloadRequest): ArtifactError {
  return new ArtifactError(
    `download of ${request.label} is larger than max-size (${request.maxBytes} bytes); raise max-size if this plugin is really that large`,
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
