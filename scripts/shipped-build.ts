// The esbuild settings that make the shipped bundle, shared by the build and
// by the bench, which bundles parts of the action the same way to measure them.
import type { BuildOptions } from 'esbuild';

export const SHIPPED_BUILD = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  // Bundled CommonJS packages call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: 'warning',
} satisfies BuildOptions;
