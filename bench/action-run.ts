import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_ENTRY } from '../lab/paths.ts';

/** One line the action printed, with the time it arrived, in seconds since the action was started. */
export interface TimedLine {
  at: number;
  text: string;
}

export interface TimedRun {
  /** From the spawn to the exit, as a runner waits for the step. */
  seconds: number;
  lines: TimedLine[];
  summary: string;
}

/**
 * Runs `node dist/index.js` as a runner does (the environment of
 * lab/runner.ts's runAction), with step debug on, and notes when each
 * line of its output arrives. Writing to a pipe is synchronous in Node on
 * Linux, so a line arrives when the action writes it, and a call's debug
 * line, written when its answer is in, dates the call's end.
 */
export async function timedAction(options: {
  apiUrl: string;
  ref: string;
  inputs: Record<string, string>;
  timeoutMs: number;
}): Promise<TimedRun> {
  const work = await mkdtemp(join(tmpdir(), 'bench-action-'));
  try {
    const files = {
      output: join(work, 'output'),
      summary: join(work, 'summary.md'),
      event: join(work, 'event.json'),
    };
    await Promise.all([
      mkdir(join(work, 'temp')),
      mkdir(join(work, 'tool-cache')),
      writeFile(files.output, ''),
      writeFile(files.summary, ''),
      writeFile(files.event, '{}'),
    ]);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: work,
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      RUNNER_DEBUG: '1',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: files.event,
      GITHUB_REF: options.ref,
      GITHUB_REPOSITORY: 'acme/acme-plugin',
      GITHUB_API_URL: options.apiUrl,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_WORKFLOW: 'release',
      GITHUB_RUN_ID: '1',
      RUNNER_TEMP: join(work, 'temp'),
      RUNNER_TOOL_CACHE: join(work, 'tool-cache'),
    };
    for (const [name, value] of Object.entries(options.inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    const run = await spawnTimed(env, options.timeoutMs);
    return { ...run, summary: await readFile(files.summary, 'utf8') };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function spawnTimed(
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ seconds: number; lines: TimedLine[] }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const since = (): number => Number(process.hrtime.bigint() - start) / 1e9;
    const child = spawn(process.execPath, [ACTION_ENTRY], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: TimedLine[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const at = since();
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const text of parts) lines.push({ at, text });
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const seconds = since();
      if (partial) lines.push({ at: seconds, text: partial });
      if (code === 0) {
        resolve({ seconds, lines });
        return;
      }
      const log = lines.map((l) => l.text).join('\n');
      reject(new Error(`the action exited ${signal ?? String(code)}:\n${log}\n${stderr}`));
    });
  });
}
