/** Makes server and user text inert in GitHub-flavoured markdown and HTML. */
export function escapeText(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+!|<>&~]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Inline code cannot hold a backtick; such text falls back to escaped plain text. */
export function code(text: string): string {
  return text.includes('`') || text.includes('\n') ? escapeText(text) : `\`${text}\``;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

export function shortHash(sha256: string): string {
  return sha256 ? code(sha256.slice(0, 12)) : '—';
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
