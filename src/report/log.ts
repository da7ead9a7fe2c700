import * as core from '@actions/core';
import { redactUrls } from './redact.ts';

/*
 * The runner reads every line the action prints for workflow commands, with
 * two parsers: `::name …::data` once the line's leading whitespace is trimmed
 * (.NET's TrimStart: JavaScript's \s, and U+0085, a control character escaped
 * here anyway), and the older `##[name …]data` anywhere in the line. Server
 * and release text is printed inside our own lines, so neither may form.
 */
const LEADING_COLON = /^(\s*):/;

/**
 * One line of log text that can start no workflow command. Plain lines are
 * shown as they are (the runner decodes no escapes in them), so a defused
 * character is written the way a reader expects: line breaks as `\n` and
 * `\r`, other control characters, a leading `:` and the `[` of `##[` as
 * `\xNN`. URLs lose their credentials and query.
 */
export function inertLine(text: string): string {
  return redactUrls(text)
    .replace(/\p{Cc}/gu, (c) => (c === '\t' ? c : visible(c)))
    .replace(/##\[/g, '##\\x5b')
    .replace(LEADING_COLON, '$1\\x3a');
}

/** Control characters are all below U+00A0: two hex digits hold each. */
function visible(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/**
 * Everything the action prints goes through here. Plain lines are made inert;
 * annotations and debug lines are workflow commands the toolkit writes with
 * their data escaped (a command already begun parses as that command, so
 * nothing inside it can start another), and lose URL credentials like the rest.
 */
export const log = {
  info: (text: string): void => {
    core.info(inertLine(text));
  },
  debug: (text: string): void => {
    core.debug(redactUrls(text));
  },
  notice: (text: string, title: string): void => {
    core.notice(redactUrls(text), { title });
  },
  warning: (text: string, title: string): void => {
    core.warning(redactUrls(text), { title });
  },
  error: (text: string, title: string): void => {
    core.error(redactUrls(text), { title });
  },
};
