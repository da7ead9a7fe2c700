import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assetDownload, type AssetFile } from '../../../src/artifact/asset-file.ts';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'asset-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/** A download that writes its file, or waits until it is stopped. */
function fakeDownload(options: { hangs?: boolean; fails?: string } = {}) {
  const seen = { started: 0, stopped: false };
  const path = join(dir, 'download');
  const fetch = async (signal: AbortSignal): Promise<AssetFile> => {
    seen.started++;
    if (options.fails) throw new Error(options.fails);
    if (options.hangs) {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      seen.stopped = true;
      throw new Error('aborted');
    }
    await writeFile(path, 'asset');
    return { path, sha256: 'x', size: 5, temporary: true };
  };
  return { fetch, seen, path };
}

describe('the asset download started before its checksums are read', () => {
  it('starts at once when early, and only when asked for otherwise', async () => {
    const early = fakeDownload();
    assetDownload(early.fetch, true);
    expect(early.seen.started).toBe(1);

    const late = fakeDownload();
    const download = assetDownload(late.fetch, false);
    expect(late.seen.started).toBe(0);
    expect((await download.file()).path).toBe(late.path);
    expect(late.seen.started).toBe(1);
  });

  it('stops a download still running when it is dropped', async () => {
    const hanging = fakeDownload({ hangs: true });
    await assetDownload(hanging.fetch, true).drop();
    expect(hanging.seen.stopped).toBe(true);
  });

  it('removes a finished download nobody took, and never one that was taken', async () => {
    const untaken = fakeDownload();
    const dropped = assetDownload(untaken.fetch, true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await dropped.drop();
    expect(await exists(untaken.path)).toBe(false);

    const taken = fakeDownload();
    const used = assetDownload(taken.fetch, true);
    await used.file();
    await used.drop();
    expect(await exists(taken.path)).toBe(true);
  });

  it('holds a failed download until the asset is asked for, and drops it quietly', async () => {
    const failing = fakeDownload({ fails: 'download of acme.zip failed: HTTP 404' });
    const unhandled: unknown[] = [];
    const note = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', note);
    try {
      const asked = assetDownload(failing.fetch, true);
      await new Promise((resolve) => setTimeout(resolve, 10));
      await expect(asked.file()).rejects.toThrow('HTTP 404');
      await assetDownload(failing.fetch, true).drop();
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', note);
    }
  });

  it('never starts a download dropped before it was asked for', async () => {
    const late = fakeDownload();
    await assetDownload(late.fetch, false).drop();
    expect(late.seen.started).toBe(0);
  });
});
