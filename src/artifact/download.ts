import { stat } from 'node:fs/promises';
import * as tc from '@actions/tool-cache';
import { ArtifactError } from '../errors.ts';

export interface DownloadRequest {
  url: string;
  /** Shown in errors instead of the URL, which may be an opaque API address. */
  label: string;
  githubToken?: string;
  accept?: string;
}

export async function download(request: DownloadRequest): Promise<string> {
  const headers = request.accept ? { accept: request.accept } : undefined;
  const auth = request.githubToken ? `Bearer ${request.githubToken}` : undefined;
  let path: string;
  try {
    path = await tc.downloadTool(request.url, undefined, auth, headers);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ArtifactError(`download of ${request.label} failed: ${detail}`);
  }
  if ((await stat(path)).size === 0) {
    throw new ArtifactError(`download of ${request.label} is empty (0 bytes)`);
  }
  return path;
}
