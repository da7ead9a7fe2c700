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
  plugins: [undiciSubset()],
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

const packageDirs = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
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
