import { redactUrls } from './redact.ts';

/**
 * Makes server and user text inert in GitHub-flavoured markdown and HTML:
 * markup and table characters become entities, control characters (newlines
 * too, which would end a table row or a quote) their visible pictures (␊),
 * `://`, `www.` and `@` (GFM links e-mail addresses) no longer form a link,
 * and URLs lose their credentials.
 */
export function escapeText(text: string): string {
  return redactUrls(text)
    .replace(/[\\`*_{}[\]()#+!|<>&~$@]/g, (c) => `&#${String(c.charCodeAt(0))};`)
    .replace(/:\/\//g, '&#58;//')
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}&#46;`)
    .replace(/\p{Cc}/gu, (c) => controlPicture(c.charCodeAt(0)));
}

/** C0 controls and DEL as their pictures (U+2400…), the rarer C1 controls as `\uXXXX`. */
function controlPicture(code: number): string {
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `&#92;u${code.toString(16).padStart(4, '0')}`;
}

/** Text a backtick code span shows as it is, in a table cell too. */
const PLAIN_CODE = /^[^`|<>&\\\p{Cc}]+$/u;

/**
 * Inline code. Text a code span cannot hold safely — a `|` splits a table cell
 * even inside one, a backtick ends it, a newline ends the row — is written as
 * escaped text inside `<code>`, which looks the same.
 */
export function code(text: string): string {
  const shown = redactUrls(text);
  return PLAIN_CODE.test(shown) ? `\`${shown}\`` : `<code>${escapeText(shown)}</code>`;
}

/** A fenced code block whose fence no line of `body` can close. */
export function fence(language: string, body: string): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = '`'.repeat(Math.max(3, longest + 1));
  return `${marks}${language}\n${body}\n${marks}`;
}

/** A link to an http(s) page, without credentials, query or fragment; anything else is shown as text. */
export function link(text: string, url: string): string {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return escapeText(text);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return escapeText(text);
  target.username = '';
  target.password = '';
  target.search = '';
  target.hash = '';
  // Characters that would end the destination or a table cell.
  const href = target.href.replace(
    /[()|<> ]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `[${escapeText(text)}](${href})`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function details(summary: string, body: string, open = false): string {
  return `<details${open ? ' open' : ''}><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

export function shortHash(sha256: string): string {
  return sha256 ? code(sha256.slice(0, 12)) : '—';
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
