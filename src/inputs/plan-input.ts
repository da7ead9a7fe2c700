import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../domain/errors.ts';
import type { InputSource, RunContext } from './source.ts';

/** A job output holds at most 1 MB, so no plan passed between jobs is larger. */
export const MAX_PLAN_BYTES = 1024 * 1024;

/**
 * The `plan` input's text: the plan itself (JSON starts with `{`), or read
 * from the file it names, relative to the workspace; `null` when not given.
 */
export async function readPlanInput(inputs: InputSource, ctx: RunContext): Promise<string | null> {
  const raw = inputs.get('plan').trim();
  if (!raw) return null;
  if (raw.startsWith('{') || raw.includes('\n')) return raw;
  const workspace = ctx.env.GITHUB_WORKSPACE || process.cwd();
  return readPlanFile(isAbsolute(raw) ? raw : resolve(workspace, raw));
}

/**
 * Opened without waiting (a pipe nobody writes to would hold the run), and
 * read only when it is a regular file of plan size, up to the size it had
 * when opened. Its content is never quoted: a wrong path may name a secret.
 */
async function readPlanFile(path: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    throw new ConfigError(
      `plan: "${path}" is neither a plan (JSON text starting with {) nor a file on the runner`,
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new ConfigError(
        `plan: "${path}" is not a regular file; give the plan's JSON text or the path of a file holding it`,
      );
    }
    if (info.size > MAX_PLAN_BYTES) {
      throw new ConfigError(
        `plan: "${path}" holds ${String(info.size)} bytes, more than a plan can (${String(MAX_PLAN_BYTES)})`,
      );
    }
    const data = Buffer.alloc(info.size);
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return data.subarray(0, filled).toString('utf8');
  } finally {
    await handle.close();
  }
}
