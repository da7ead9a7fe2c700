import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { SHIPPED_BUILD } from '../scripts/shipped-build.ts';
import { BENCH_DIR } from './artifacts.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACTION_ENTRY } from '../lab/paths.ts';
import { libraryImports, librariesEntry } from './library-imports.ts';
import { median, type BenchOptions, type Row } from './lib.ts';

/** The size of hashicorp/vault-action's bundle (its dist/index.js), as measured when this bench was written. */
const VAULT_ACTION_BYTES = 1.0e6;

const LIBRARIES = join(BENCH_DIR, 'libraries.mjs');

/**
 * CPU time of `node dist/index.js` until its first request, beyond a bare
 * `node -e 0`, reported beside what the libraries it imports take alone,
 * measured in the same run (the start-up goal is retired: start-up is not
 * bought with private APIs); and the bundle's size. The child runs under
 * bash so that `times` reports its CPU (user + system, in ms) even when it
 * is killed at the first request it makes.
 */
export async function benchStartup(options: BenchOptions): Promise<Row[]> {
  let onRequest = (): void => undefined;
  const server = createServer((_req, res) => {
    onRequest();
    res.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: base,
    GITHUB_REPOSITORY: 'acme/acme-plugin',
    GITHUB_REF: 'refs/tags/v1.0.1',
    GITHUB_EVENT_NAME: 'push',
    INPUT_URL: base,
    INPUT_TOKEN: 'bench-token',
    'INPUT_GITHUB-TOKEN': 'bench-github-token',
    'INPUT_PLUGIN-NAME': 'acme',
    INPUT_ARTIFACT: 'acme_{version}_{os}_{arch}.zip',
    INPUT_MOUNTS: 'acme',
  };
  const cpuOf = (args: string[], killOnRequest: boolean): Promise<number> =>
    new Promise((resolve, reject) => {
      const child = spawn(
        'bash',
        ['-c', '"$0" "$@" & echo $! >&2; wait $! 2>/dev/null; times', process.execPath, ...args],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let pid = 0;
      let requested = false;
      child.stderr.on('data', (chunk: Buffer) => {
        pid ||= Number.parseInt(chunk.toString(), 10);
      });
      onRequest = () => {
        // The action's first requests go out together: kill it at the first, once.
        if (killOnRequest && pid && !requested) process.kill(pid, 'SIGKILL');
        requested = true;
      };
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.once('error', reject);
      child.once('close', () => {
        if (killOnRequest && !requested) {
          reject(
            new Error('the action ended before its first request; its CPU would mean nothing'),
          );
          return;
        }
        const children = stdout.trim().split('\n').pop() ?? '';
        const [user, system] = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map(
          (m) => Number(m[1]) * 60 + Number(m[2]),
        );
        resolve((user ?? 0) + (system ?? 0));
      });
    });
  const imports = await libraryImports();
  await build({
    stdin: { contents: librariesEntry(imports), resolveDir: BENCH_DIR, loader: 'ts' },
    outfile: LIBRARIES,
    ...SHIPPED_BUILD,
  });
  const ours: number[] = [];
  const bare: number[] = [];
  const libraries: number[] = [];
  try {
    for (let i = 0; i < (options.smoke ? 1 : 15); i++) {
      ours.push(await cpuOf([ACTION_ENTRY], true));
      bare.push(await cpuOf(['-e', '0'], false));
      libraries.push(await cpuOf([LIBRARIES], false));
    }
  } finally {
    server.close();
  }
  const extra = median(ours) - median(bare);
  const ms = (seconds: number): string => `${(seconds * 1000).toFixed(0)} ms`;
  const ofLibraries = median(libraries) - median(bare);
  const bytes = (await stat(ACTION_ENTRY)).size;
  return [
    {
      what: 'cold start: CPU of `node dist/index.js` until its first request, beyond `node -e 0`',
      ours: ms(extra),
      baseline: `${ms(ofLibraries)} (its libraries alone)`,
      ratio: extra / ofLibraries,
      ratioText: `${(extra / ofLibraries).toFixed(2)}× its libraries alone`,
      goal: 'reported, no goal (retired)',
      met: null,
      note:
        `bare \`node -e 0\`: ${ms(median(bare))} of CPU, measured in this run; ` +
        `loading what the action's source imports from ${listed([...imports.keys()])}, ` +
        `bundled as the action is and used for nothing ([bench/library-imports.ts](library-imports.ts)): ${ms(ofLibraries)} beyond it, ` +
        `so the action's own code takes ${ms(Math.max(0, extra - ofLibraries))} of the ${ms(extra)}`,
    },
    {
      what: 'bundle size, `dist/index.js`',
      ours: `${(bytes / 1e6).toFixed(2)} MB`,
      baseline: '1.00 MB (vault-action)',
      ratio: bytes / VAULT_ACTION_BYTES,
      ratioText: `${(bytes / VAULT_ACTION_BYTES).toFixed(2)}× vault-action's`,
      goal: "below vault-action's",
      met: bytes < VAULT_ACTION_BYTES,
    },
  ];
}

/** `a, b and c`. */
function listed(names: readonly string[]): string {
  return names.length < 2
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names.at(-1) ?? ''}`;
}
