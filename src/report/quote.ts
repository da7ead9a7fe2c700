/** Words a POSIX shell reads as they are: no expansion, globbing, quoting or word splitting. */
const PLAIN_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One word of a shell command, safe to paste: anything but a plain word is
 * put in single quotes, inside which a shell expands nothing, with each
 * single quote written as `'\''`.
 */
export function shellWord(value: string): string {
  return PLAIN_WORD.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * A quoted HCL string holding exactly `value`: backslash and quote escaped,
 * newlines and other control characters as escapes, and the template
 * sequences `${` and `%{` doubled so the server configuration interpolates nothing.
 */
export function hclString(value: string): string {
  const escaped = value
    .replace(/[\\"]/g, (c) => `\\${c}`)
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(/\p{Cc}/gu, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)
    .replace(/\$\{/g, () => '$${')
    .replace(/%\{/g, '%%{');
  return `"${escaped}"`;
}
