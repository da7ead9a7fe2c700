import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunContext } from '../../../src/inputs/source.ts';
import { MAX_PLAN_BYTES, readPlanInput } from '../../../src/inputs/plan-input.ts';

let work = '';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'plan-input-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function read(plan: string): Promise<string | null> {
  const context: RunContext = {
    env: { GITHUB_WORKSPACE: work },
    eventName: 'push',
    eventInputs: {},
    ref: 'refs/heads/main',
    repository: 'acme/acme-plugin',
    apiUrl: 'https://api.github.com',
    nodePlatform: 'linux',
    nodeArch: 'x64',
    mask: () => undefined,
  };
  const get = (name: string): string => (name === 'plan' ? plan : '');
  return readPlanInput({ get, secret: get }, context);
}

/** Fails instead of waiting with the run for ever. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    new Promise<T>((_, reject) =>
      setTimeout(() => {
        reject(new Error(`still waiting after ${String(ms)} ms`));
      }, ms),
    ),
  ]);
}

describe('the plan input', () => {
  it('is the plan itself, or the file it names, relative to the workspace', async () => {
    expect(await read('')).toBeNull();
    expect(await read('  {"format_version":1}\n')).toBe('{"format_version":1}');
    await mkdir(join(work, 'plans'), { recursive: true });
    await writeFile(join(work, 'plans', 'plan.json'), '{"from":"file"}');
    expect(await read('plans/plan.json')).toBe('{"from":"file"}');
    expect(await read(join(work, 'plans', 'plan.json'))).toBe('{"from":"file"}');
  });

  it('names a path that is not there', async () => {
    await expect(read('missing.json')).rejects.toThrow(
      `plan: "${join(work, 'missing.json')}" is neither a plan (JSON text starting with {) nor a file on the runner`,
    );
  });

  it('does not wait on a pipe nobody writes to', async () => {
    const fifo = join(work, 'plan.fifo');
    await promisify(execFile)('mkfifo', [fifo]);
    await expect(within(5000, read(fifo))).rejects.toThrow(
      `plan: "${fifo}" is not a regular file; give the plan's JSON text or the path of a file holding it`,
    );
  });

  it('does not read a device or a file larger than a plan can be', async () => {
    await expect(read('/dev/zero')).rejects.toThrow('plan: "/dev/zero" is not a regular file');
    const huge = join(work, 'huge.json');
    await writeFile(huge, '');
    await truncate(huge, 64 * 1024 * 1024 * 1024);
    await expect(read(huge)).rejects.toThrow(
      `plan: "${huge}" holds ${String(64 * 1024 * 1024 * 1024)} bytes, more than a plan can (${String(MAX_PLAN_BYTES)})`,
    );
  });
});
