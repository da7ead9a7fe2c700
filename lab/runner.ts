// Runs the bundled action as a GitHub runner does and reads back what it reported.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACTION_ENTRY } from './paths.ts';

export interface RunOptions {
  inputs: Record<string, string>;
  eventName?: string;
  /** The event payload written to GITHUB_EVENT_PATH. */
  event?: Record<string, unknown>;
  ref?: string;
  repository?: string;
  apiUrl?: string;
  /** Extra environment, e.g. VAULT_ADDR; nothing else leaks in from the test process. */
  env?: Record<string, string>;
  /** Shared between runs to test the tool cache; a fresh one by default. */
  toolCache?: string;
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  /** stdout as the runner shows it: `::add-mask::` commands are consumed, not printed. */
  log: string;
  /** Values the action asked the runner to mask. */
  masked: string[];
  /** The messages of the error annotations, without their `::error title=…::` prefix. */
  errors: string[];
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

/** One row of the action's `result` output, as a workflow parses it. */
export interface ResultRow {
  mount: string;
  namespace: string;
  type: string;
  previous: string;
  target: string;
  version: string;
  running_version: string;
  running_sha256: string;
  result: string;
  nodes: { node: string; running_version: string; running_sha256: string; ok: boolean }[];
}

export function resultRows(run: RunResult): ResultRow[] {
  return JSON.parse(run.outputs.result || '[]') as ResultRow[];
}

/**
 * Runs the bundled action exactly as a runner does: `node dist/index.js`
 * with `INPUT_*` variables and the runner's files, then reads them back.
 */
export async function runAction(options: RunOptions): Promise<RunResult> {
  const work = await mkdtemp(join(tmpdir(), 'lab-runner-'));
  const temp = join(work, 'temp');
  const toolCache = options.toolCache ?? join(work, 'tool-cache');
  await mkdir(temp);
  await mkdir(toolCache, { recursive: true });
  const outputFile = join(work, 'output');
  const summaryFile = join(work, 'summary.md');
  const eventFile = join(work, 'event.json');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  await writeFile(eventFile, JSON.stringify(options.event ?? {}));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_EVENT_NAME: options.eventName ?? 'push',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REF: options.ref ?? 'refs/heads/main',
    GITHUB_REPOSITORY: options.repository ?? 'acme/acme-plugin',
    GITHUB_API_URL: options.apiUrl ?? 'http://127.0.0.1:9',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_WORKFLOW: 'release',
    GITHUB_RUN_ID: '1',
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: toolCache,
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  }
  try {
    const { exitCode, stdout, stderr } = await spawnNode(env, options.timeoutMs ?? 120_000);
    const lines = stdout.split('\n');
    const mask = '::add-mask::';
    return {
      exitCode,
      stdout,
      log: lines.filter((l) => !l.startsWith(mask)).join('\n'),
      masked: lines.filter((l) => l.startsWith(mask)).map((l) => l.slice(mask.length)),
      errors: lines
        .filter((l) => l.startsWith('::error'))
        .map((l) => l.slice(l.indexOf('::', 2) + 2)),
      stderr,
      outputs: parseOutputs(await readFile(outputFile, 'utf8')),
      summary: await readFile(summaryFile, 'utf8'),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function spawnNode(
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [ACTION_ENTRY], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal)
        reject(
          new Error(`the action was killed by ${signal}; output so far:\n${stdout}\n${stderr}`),
        );
      else resolve({ exitCode: code ?? 1, stdout, stderr });
    });
  });
}

/** The runner's `name<<DELIMITER … DELIMITER` file format that `core.setOutput` writes. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i] ?? '');
    if (!match?.[1] || !match[2]) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i] ?? '');
    outputs[match[1]] = value.join('\n');
  }
  return outputs;
}
