// Bundles the action into dist/index.js and lists the licenses of what the bundle holds.
import { readFile, writeFile, readdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { SHIPPED_BUILD } from './shipped-build.ts';

// Code loaded only on demand (the Sigstore verifier) goes to dist/chunks, rebuilt from scratch each time.
await rm('dist/chunks', { recursive: true, force: true });
const result = await build({
  entryPoints: ['src/index.ts'],
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  sourcemap: true,
  legalComments: 'none',
  metafile: true,
  ...SHIPPED_BUILD,
});

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
