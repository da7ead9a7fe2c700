import { execFileSync, spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

/** One line of the results table: our figure against its baseline, measured in the same run. */
export interface Row {
  what: string;
  ours: string;
  baseline: string;
  /** Ours relative to the baseline, in the goal's own terms (see `goal`). */
  ratio: number;
  ratioText: string;
  goal: string;
  /** Null for a row that reports a figure without a goal. */
  met: boolean | null;
  note?: string;
}

export interface BenchOptions {
  /** Small sizes and one run each: proves the bench still works, measures nothing. */
  smoke: boolean;
  log: (line: string) => void;
}

export const MiB = 1024 * 1024;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Runs each side once a round, the order swapped every round so neither
 * always goes first, and gives each side's median and the median of the
 * per-round ratios `ours / theirs`: a machine whose load drifts during the
 * bench weighs on both sides of every ratio.
 */
export async function pairedRounds(
  rounds: number,
  ours: () => Promise<number>,
  theirs: () => Promise<number>,
): Promise<{ ours: number; theirs: number; ratio: number }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      a.push(await ours());
      b.push(await theirs());
    } else {
      b.push(await theirs());
      a.push(await ours());
    }
  }
  return { ours: median(a), theirs: median(b), ratio: median(a.map((x, i) => x / (b[i] ?? NaN))) };
}

export function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export interface Exited {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Runs a command to its end; wall time includes the process start, as a user waits for it. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ code: code ?? 1, stdout, stderr, seconds: seconds(start) });
    });
  });
}

export async function mustRun(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Exited> {
  const result = await run(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  }
  return result;
}

export function machine(): { cpu: string; cores: number; load: number[] } {
  const all = cpus();
  return { cpu: all[0]?.model.trim() ?? 'unknown', cores: all.length, load: loadavg() };
}

/** The commit measured, and whether the work tree differed from it. */
export function revision(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const changed = git('status', '--porcelain', '--untracked-files=no');
    return `Commit ${git('rev-parse', '--short=12', 'HEAD')}${changed ? ' with uncommitted changes' : ''}`;
  } catch {
    return 'Commit unknown (not a git checkout)';
  }
}

export function fmtSeconds(value: number): string {
  return value >= 1 ? `${value.toFixed(2)} s` : `${(value * 1000).toFixed(0)} ms`;
}

export function fmtRate(bytesPerSecond: number): string {
  return `${(bytesPerSecond / 1e9).toFixed(2)} GB/s`;
}
