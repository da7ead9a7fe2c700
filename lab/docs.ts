import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './paths.ts';

/**
 * The user documentation as a reader meets it: README.md and every
 * docs/*.md, split into sections by heading, with their code blocks and
 * tables. Tests find what they check by heading, never by line number, so
 * the documents can be reordered and split without the checks going blind.
 */

export interface DocFile {
  /** Relative to the repository, e.g. `README.md` or `docs/internals.md`. */
  path: string;
  text: string;
}

export interface Section {
  file: string;
  heading: string;
  level: number;
  /** 1-based line of the heading. */
  line: number;
  /** The section's lines after its heading, up to the next heading of the same or a higher level. */
  body: string[];
}

export interface CodeBlock {
  file: string;
  /** 1-based line of the block's first content line. */
  line: number;
  language: string;
  text: string;
  /** The heading of the section the block is in. */
  heading: string;
}

export interface Table {
  file: string;
  line: number;
  header: string[];
  rows: string[][];
}

export function docFiles(): DocFile[] {
  const docs = join(ROOT, 'docs');
  const names = readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .sort();
  return ['README.md', ...names.map((name) => `docs/${name}`)].map((path) => ({
    path,
    text: readFileSync(join(ROOT, path), 'utf8'),
  }));
}

const FENCE = /^\s*(`{3,}|~{3,})\s*([\w-]*)/;
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;

/** Each line's heading, or null; lines inside fenced code are never headings. */
function headingsOf(lines: readonly string[]): ({ level: number; text: string } | null)[] {
  let fence = '';
  return lines.map((line) => {
    const open = FENCE.exec(line);
    if (open?.[1]) {
      if (!fence) fence = open[1];
      else if (open[1].startsWith(fence) && line.trim() === open[1]) fence = '';
      return null;
    }
    if (fence) return null;
    const heading = HEADING.exec(line);
    return heading?.[1] && heading[2] ? { level: heading[1].length, text: heading[2] } : null;
  });
}

export function sections(files: readonly DocFile[] = docFiles()): Section[] {
  const found: Section[] = [];
  for (const file of files) {
    const lines = file.text.split('\n');
    const headings = headingsOf(lines);
    headings.forEach((heading, at) => {
      if (!heading) return;
      let end = at + 1;
      while (end < lines.length && !((headings[end]?.level ?? 7) <= heading.level)) end++;
      found.push({
        file: file.path,
        heading: heading.text,
        level: heading.level,
        line: at + 1,
        body: lines.slice(at + 1, end),
      });
    });
  }
  return found;
}

/** The sections with this heading in any document; the test fails when there are none. */
export function sectionsHeaded(heading: string, files?: readonly DocFile[]): Section[] {
  const matching = sections(files).filter((s) => s.heading === heading);
  if (matching.length === 0) {
    throw new Error(`no section headed "${heading}" in README.md or docs/*.md`);
  }
  return matching;
}

export function codeBlocks(files: readonly DocFile[] = docFiles()): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const file of files) {
    const lines = file.text.split('\n');
    const headings = headingsOf(lines);
    let heading = '';
    for (let i = 0; i < lines.length; i++) {
      heading = headings[i]?.text ?? heading;
      const open = FENCE.exec(lines[i] ?? '');
      if (!open?.[1]) continue;
      const marks = open[1];
      const start = i + 1;
      let end = start;
      while (end < lines.length && (lines[end] ?? '').trim() !== marks) end++;
      blocks.push({
        file: file.path,
        line: start + 1,
        language: open[2] ?? '',
        text: lines.slice(start, end).join('\n'),
        heading,
      });
      i = end;
    }
  }
  return blocks;
}

/** The GitHub-flavoured tables in a section, cells trimmed. */
export function tablesIn(section: Section): Table[] {
  const tables: Table[] = [];
  const { body } = section;
  for (let i = 0; i + 1 < body.length; i++) {
    const header = body[i] ?? '';
    const rule = body[i + 1] ?? '';
    if (!header.trim().startsWith('|') || !/^\s*\|(\s*:?-+:?\s*\|)+\s*$/.test(rule)) continue;
    const rows: string[][] = [];
    let end = i + 2;
    while (end < body.length && (body[end] ?? '').trim().startsWith('|')) {
      rows.push(cells(body[end] ?? ''));
      end++;
    }
    tables.push({ file: section.file, line: section.line + i + 1, header: cells(header), rows });
    i = end;
  }
  return tables;
}

function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((cell) => cell.trim());
}

/** The text of every `code span` in a piece of markdown. */
export function codeSpans(markdown: string): string[] {
  return [...markdown.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
}
