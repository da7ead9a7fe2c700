import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ACTION_YML } from './action-metadata.ts';
import { codeBlocks, type DocFile } from './docs.ts';
import { LAB_DIR } from './paths.ts';

const run = promisify(execFile);

export const ACTIONLINT = join(LAB_DIR, 'bin', 'actionlint');

/** One YAML example as the documentation shows it. */
export interface Example {
  /** Where it is, e.g. `README.md:50 (Quick start)`. */
  source: string;
  text: string;
}

/**
 * Every YAML block of the documentation, split where a line `# or` offers
 * an alternative (two spellings of the same inputs cannot share a mapping).
 */
export function yamlExamples(files?: readonly DocFile[]): Example[] {
  return codeBlocks(files)
    .filter((b) => b.language === 'yaml' || b.language === 'yml')
    .flatMap((b) =>
      b.text
        .split(/^\s*# or\s*$/m)
        .map((text) => ({ source: `${b.file}:${b.line} (${b.heading})`, text })),
    );
}

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'permissions',
  'env',
  'defaults',
  'concurrency',
  'jobs',
]);
const THIS_ACTION = /\buses:\s*[\w.-]+\/vault-plugin-rollout@[\w./-]+/g;
const ELIDED_WITH = /^(\s*)with:\s*\{\s*(…|\.\.\.)\s*\}\s*$/;
const ELISION = /^(\s*)#\s*(…|\.\.\.)\s*$/;

/**
 * An example as a workflow file actionlint can check against this
 * repository's action.yml: `uses: <owner>/vault-plugin-rollout@<ref>` becomes
 * `uses: ./`. A complete workflow is kept as it is (an `on:` is added when
 * it shows only its jobs); a workflow-level fragment (`concurrency:`) gets a
 * job; a list of steps gets a job; a mapping of inputs becomes the `with:` of
 * a step of this action. What a fragment leaves out by its nature is filled
 * in, and nothing else: the required inputs of an inputs-only mapping or of
 * a `with:` elided as `{ … }` or `# ...`, and a step with each id the
 * fragment refers to (`steps.build.outputs…`) but does not show.
 */
export function asWorkflow(example: string, requiredInputs: readonly string[]): string {
  const text = dedent(example).replace(THIS_ACTION, 'uses: ./');
  const lines = text.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
  const first = lines[0] ?? '';
  const keys = lines.flatMap((l) => /^([A-Za-z][\w-]*):/.exec(l)?.[1] ?? []);
  const on = keys.includes('on') ? '' : 'on: workflow_dispatch\n';
  if (first.startsWith('- ')) return `${on}${job(fillElisions(text, requiredInputs), text)}`;
  if (keys.includes('jobs')) return `${on}${text}`;
  if (keys.every((k) => WORKFLOW_KEYS.has(k))) return `${on}${text}\n${job('- run: echo', '')}`;
  const given = new Set(keys);
  const missing = requiredInputs.filter((name) => !given.has(name));
  const step = [
    '- uses: ./',
    '  with:',
    indent(text, 4),
    ...missing.map((name) => `    ${name}: example`),
  ].join('\n');
  return `${on}${job(step, text)}`;
}

/** `jobs:` with one job of these steps, after a step for each id the fragment refers to but lacks. */
function job(steps: string, fragment: string): string {
  const defined = new Set([...steps.matchAll(/\bid:\s*([\w-]+)/g)].map((m) => m[1] ?? ''));
  const referred = [...fragment.matchAll(/\bsteps\.([A-Za-z_][\w-]*)\./g)].map((m) => m[1] ?? '');
  const earlier = [...new Set(referred)]
    .filter((id) => !defined.has(id))
    .map((id) => `- id: ${id}\n  run: echo`);
  return [
    'jobs:',
    '  example:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    indent([...earlier, steps].join('\n'), 6),
  ].join('\n');
}

/** Fills the required inputs into a `with: { … }`, or into a `with:` block holding `# ...`. */
function fillElisions(text: string, requiredInputs: readonly string[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (const [i, line] of lines.entries()) {
    const elidedWith = ELIDED_WITH.exec(line);
    if (elidedWith) {
      const pad = `${elidedWith[1] ?? ''}  `;
      out.push(`${elidedWith[1] ?? ''}with:`, ...requiredInputs.map((n) => `${pad}${n}: example`));
      continue;
    }
    const elision = ELISION.exec(line);
    if (elision) {
      const pad = elision[1] ?? '';
      const block: string[] = [];
      for (let j = i - 1; j >= 0 && (lines[j] ?? '').startsWith(pad); j--)
        block.push(lines[j] ?? '');
      for (let j = i + 1; j < lines.length && (lines[j] ?? '').startsWith(pad); j++) {
        block.push(lines[j] ?? '');
      }
      const given = new Set(
        block.flatMap((l) => new RegExp(`^${pad}([\\w-]+):`).exec(l)?.[1] ?? []),
      );
      out.push(...requiredInputs.filter((n) => !given.has(n)).map((n) => `${pad}${n}: example`));
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

function dedent(text: string): string {
  const lines = text
    .replace(/^\s*\n/, '')
    .replace(/\s+$/, '')
    .split('\n');
  const margin = Math.min(
    ...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length),
  );
  return lines.map((l) => l.slice(margin)).join('\n');
}

function indent(text: string, by: number): string {
  return text
    .split('\n')
    .map((l) => (l.trim() ? `${' '.repeat(by)}${l}` : l))
    .join('\n');
}

export interface LintError {
  /** The example's source, as `Example.source` gives it. */
  source: string;
  line: number;
  message: string;
}

/**
 * actionlint's 1.7.7 checks of each workflow, in a throwaway git repository
 * holding this repository's action.yml, so `uses: ./` is checked against its
 * inputs and outputs. Two findings are dropped as not about the examples:
 * actionlint 1.7.7 predates the node24 runtime, and self-hosted runner labels
 * are the reader's own.
 */
export async function lintWorkflows(
  workflows: readonly { source: string; text: string }[],
): Promise<LintError[]> {
  const repo = await mkdtemp(join(tmpdir(), 'lab-examples-'));
  try {
    await mkdir(join(repo, '.git'));
    await mkdir(join(repo, '.github', 'workflows'), { recursive: true });
    await mkdir(join(repo, 'dist'));
    await copyFile(ACTION_YML, join(repo, 'action.yml'));
    await writeFile(join(repo, 'dist', 'index.js'), '');
    const files = workflows.map((_, i) => `example-${String(i).padStart(3, '0')}.yml`);
    for (const [i, workflow] of workflows.entries()) {
      await writeFile(join(repo, '.github', 'workflows', files[i] ?? ''), `${workflow.text}\n`);
    }
    const args = [
      '-format',
      '{{json .}}',
      '-shellcheck=',
      '-pyflakes=',
      '-ignore',
      'invalid runner name "node24"',
      '-ignore',
      'label ".+" is unknown',
    ];
    const { stdout } = await run(ACTIONLINT, args, { cwd: repo }).catch((error: unknown) => {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      // Exit 1 means "problems found"; anything else is actionlint failing to run.
      if (failed.code === 1 && failed.stdout) return { stdout: failed.stdout };
      throw new Error(`actionlint failed: ${failed.stderr ?? String(failed.code)}`);
    });
    const found = JSON.parse(stdout || '[]') as {
      filepath: string;
      line: number;
      message: string;
    }[];
    return found.map((e) => ({
      source: workflows[files.findIndex((f) => e.filepath.endsWith(f))]?.source ?? e.filepath,
      line: e.line,
      message: e.message,
    }));
  } finally {
    await rm(repo, { recursive: true, force: true });
  }
}
