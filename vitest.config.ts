import { defineConfig } from 'vitest/config';
import { SERVER_KINDS } from './test/lab/paths.ts';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts', 'test/render/**/*.test.ts'] },
      },
      // Every end-to-end scenario runs once per server: the lab's LAB_SERVER picks it.
      ...SERVER_KINDS.map((kind) => ({
        extends: true as const,
        test: { name: kind, include: ['test/e2e/**/*.test.ts'], env: { LAB_SERVER: kind } },
      })),
    ],
  },
});
