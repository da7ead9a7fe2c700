// The esbuild settings that make the shipped bundle, shared by the build and
// by the bench, which bundles parts of the action the same way to measure them.
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

/** A dependency's bare `undici` import (@actions/http-client has one) loads only the parts src/undici-subset.ts names. */
function undiciSubset(): Plugin {
  const subset = fileURLToPath(new URL('../src/undici-subset.ts', import.meta.url));
  return {
    name: 'undici-subset',
    setup(build) {
      build.onResolve({ filter: /^undici$/ }, () => ({ path: subset }));
    },
  };
}

/**
 * @actions/core imports its OIDC client at the top, and with it a second HTTP
 * stack whose `import * as http` makes Node load its own copy of undici. The
 * action asks for OIDC tokens itself, so the module is declared free of side
 * effects and esbuild leaves it out while nothing calls it.
 */
function unusedOidcClient(): Plugin {
  return {
    name: 'unused-oidc-client',
    setup(build) {
      build.onResolve({ filter: /^\.\/oidc-utils\.js$/ }, async (args) => {
        if (args.pluginData === 'resolved' || !args.importer.includes('@actions/core')) {
          return undefined;
        }
        const resolved = await build.resolve(args.path, {
          resolveDir: args.resolveDir,
          kind: args.kind,
          importer: args.importer,
          pluginData: 'resolved',
        });
        return { path: resolved.path, sideEffects: false };
      });
    },
  };
}

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
  plugins: [undiciSubset(), unusedOidcClient()],
  logLevel: 'warning',
} satisfies BuildOptions;
