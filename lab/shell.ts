// Runs a shell snippet with stand-in programs, to see the words the shell really passes.
import { execFile } from 'node:child_process';

/**
 * Runs a shell snippet, as a person pasting it would, with each of `programs`
 * replaced by a function that prints its arguments: the words the shell
 * really passed, one list per call, program name first.
 */
export function shellCalls(
  snippet: string,
  programs: readonly string[],
  cwd: string,
): Promise<string[][]> {
  // Each call prints its word count, then its words, all NUL-terminated: no word can hold NUL.
  const standIns = programs
    .map((p) => `${p}() { printf '%s\\0' "$(($# + 1))" ${p} "$@"; }`)
    .join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      'sh',
      ['-c', `${standIns}\n${snippet}`],
      { cwd, timeout: 10_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`the snippet failed: ${stderr || error.message}`));
          return;
        }
        const fields = stdout.split('\0').slice(0, -1);
        const calls: string[][] = [];
        for (let i = 0; i < fields.length;) {
          const count = Number(fields[i]);
          calls.push(fields.slice(i + 1, i + 1 + count));
          i += 1 + count;
        }
        resolve(calls);
      },
    );
  });
}
