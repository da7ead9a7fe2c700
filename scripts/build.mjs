// Bundles the action into dist/index.js and lists the licenses of what the bundle holds.
import { readFile, writeFile, readdir, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

// Code loaded only on demand (the Sigstore verifier) goes to dist/chunks, rebuilt from scratch each time.
await rm('dist/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: true,
  // Bundled CommonJS packages call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  plugins: [undiciSubset(), unusedOidcClient()],
  logLevel: 'warning',
});

/** Every bare `undici` import, ours and @actions/http-client's, loads only the parts src/undici-subset.ts names. */
function undiciSubset() {
  const subset = resolve('src/undici-subset.ts');
  return {
    name: 'undici-subset',
    setup(build) {
      build.onResolve({ filter: /^undici$/ }, (args) =>
        args.importer === subset ? undefined : { path: subset },
      );
    },
  };
}

/**
 * @actions/core imports its OIDC client at the top, and with it a second HTTP
 * stack whose `import * as http` makes Node load its own copy of undici. The
 * action asks for OIDC tokens itself, so the module is declared free of side
 * effects and esbuild leaves it out while nothing calls it.
 */
function unusedOidcClient() {
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

// Only what reached an output file: packages esbuild shook out entirely ship no code.
const shipped = Object.values(result.metafile.outputs).flatMap((output) =>
  Object.entries(output.inputs)
    .filter(([, use]) => use.bytesInOutput > 0)
    .map(([input]) => input),
);
const packageDirs = new Set();
for (const input of shipped) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packageDirs.add(match[1]);
}

const sections = [];
for (const dir of [...packageDirs].sort()) {
  const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
  const licenseFile = (await readdir(dir)).find((f) => /^(licen[cs]e|copying)(\..*)?$/i.test(f));
  const text = licenseFile
    ? (await readFile(join(dir, licenseFile), 'utf8')).trim()
    : '(no license file shipped)';
  sections.push(`${pkg.name}@${pkg.version}\nLicense: ${pkg.license ?? 'unknown'}\n\n${text}`);
}
const names = new Set(sections.map((s) => s.split('\n')[0]));
await writeFile(
  join(dirname('dist/index.js'), 'licenses.txt'),
  `The bundle in index.js includes these ${names.size} packages.\n\n${sections.join('\n\n' + '-'.repeat(72) + '\n\n')}\n`,
);
