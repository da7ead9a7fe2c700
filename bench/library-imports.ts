// What the action takes from the libraries it loads at start-up, read from
// its own source, so the start-up row measures exactly those names.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The packages the action loads before its first line runs; the rest it loads on demand. */
export const START_UP_LIBRARIES = [
  '@actions/core',
  '@actions/github',
  '@actions/tool-cache',
  'undici',
  'semver',
] as const;

const SOURCE = new URL('../src/', import.meta.url).pathname;

/** Every name `src/` imports (or reads off a namespace import) from each library, sorted. */
export async function libraryImports(): Promise<Map<string, string[]>> {
  const names = new Map<string, Set<string>>(START_UP_LIBRARIES.map((lib) => [lib, new Set()]));
  for (const file of await sourceFiles(SOURCE)) {
    const text = await readFile(file, 'utf8');
    for (const found of text.matchAll(/^import (?!type )(.+?) from '([^']+)';$/gms)) {
      const [, clause = '', library = ''] = found;
      const into = names.get(library);
      if (!into) continue;
      const namespace = /^\* as (\w+)$/.exec(clause.trim());
      if (namespace) {
        const alias = namespace[1] ?? '';
        for (const use of text.matchAll(new RegExp(`\\b${alias}\\.(\\w+)`, 'g'))) {
          into.add(use[1] ?? '');
        }
        continue;
      }
      for (const member of (/\{([^}]*)\}/.exec(clause)?.[1] ?? '').split(',')) {
        const name = member.trim();
        if (name && !name.startsWith('type ')) into.add(name.split(/\s+as\s+/)[0] ?? name);
      }
    }
  }
  return new Map([...names].map(([lib, used]) => [lib, [...used].sort()]));
}

/** An entry that imports those names and uses them for nothing: what loading the libraries costs. */
export function librariesEntry(imports: ReadonlyMap<string, readonly string[]>): string {
  return [...imports]
    .filter(([, used]) => used.length > 0)
    .map(([lib, used]) => `export { ${used.join(', ')} } from '${lib}';`)
    .join('\n');
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts')) files.push(path);
  }
  return files;
}
