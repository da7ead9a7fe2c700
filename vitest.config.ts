import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { SERVER_KINDS } from './lab/paths.ts';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // An end-to-end file spends most of its time waiting on a server (reloads, restarts, timeouts):
    // two files a core keep the cores busy, and halve the run's time on two cores.
    maxWorkers: 2 * availableParallelism(),
    projects: [
      // Pure: no server, no browser, no lab setup.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // Draws the summary in the lab's Chromium.
      { extends: true, test: { name: 'render', include: ['test/render/**/*.test.ts'] } },
      // The README's workflow examples, linted by the lab's actionlint.
      { extends: true, test: { name: 'docs', include: ['test/docs/**/*.test.ts'] } },
      // Every end-to-end scenario runs once per server: the lab's LAB_SERVER picks it.
      ...SERVER_KINDS.map((kind) => ({
        extends: true as const,
        test: { name: kind, include: ['test/e2e/**/*.test.ts'], env: { LAB_SERVER: kind } },
      })),
    ],
  },
});
