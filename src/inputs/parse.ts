/**
 * The one parser for each kind of input. Each takes the input's name and its
 * text, and refuses with one line that names the input and says what is
 * valid, so the same kind of input is read the same way everywhere.
 */
import { ConfigError } from '../domain/errors.ts';

const TRUE = ['true', 'True', 'TRUE'];
const FALSE = ['false', 'False', 'FALSE'];

/**
 * Every boolean input, read as `core.getBooleanInput` reads it (the YAML 1.2
 * core schema's spellings, after the trim `getInput` does), from the text
 * the InputSource gives; an empty input takes the default. One parser, so
 * `yes` or `1` is refused alike by every input.
 */
export function booleanInput(name: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ConfigError(`${name}: "${raw}" is not a boolean; use true or false`);
}

/** Digits only, from `min` to `max`; `unit` (such as seconds) is named in the refusal. */
export function wholeNumber(
  name: string,
  raw: string,
  min: number,
  max: number,
  unit = '',
): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    const what = unit ? `whole number of ${unit}` : 'whole number';
    throw new ConfigError(`${name}: "${raw}" is not a ${what} from ${min} to ${max}`);
  }
  return value;
}

/** `raw` when it is one of `valid`; `ignoreCase` takes any spelling, `listed` words the valid ones. */
export function oneOf<T extends string>(
  name: string,
  raw: string,
  valid: readonly T[],
  { ignoreCase = false, listed = `one of ${valid.join(', ')}` } = {},
): T {
  const value = ignoreCase ? raw.toLowerCase() : raw;
  if (!(valid as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: "${raw}" is not ${listed}`);
  }
  return value as T;
}

/** The value of an input that must be given; `when` says what needs it, e.g. `with method jwt`. */
export function required(name: string, value: string, when = ''): string {
  if (!value) throw new ConfigError(`${name}: required${when ? ` ${when}` : ''}, but empty`);
  return value;
}

/** The entries of a list input: one a line, blank lines and `#` comments left out. */
export function lineList(raw: string): string[] {
  return raw
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((text) => text !== '');
}

/** A mount or namespace path as the server names it: no space or slash at either end. */
export function serverPath(raw: string): string {
  return raw.trim().replace(/^\/+|\/+$/g, '');
}

/** Whether every segment is a plain name: not empty, `.` or `..`, and without a space, `?`, `#`, `%` or `\`. */
export function isSafePath(path: string): boolean {
  return path
    .split('/')
    .every(
      (segment) =>
        segment !== '' && segment !== '.' && segment !== '..' && /^[^\s?#%\\]+$/.test(segment),
    );
}

/** PEM material as given: inline text, or a file path read when the connection is made. */
export interface PemSource {
  input: string;
  value: string;
}

/** Whether the text is armored (PEM, or OpenPGP's ASCII armor); `label` asks for one kind of block. */
export function isArmored(text: string, label = ''): boolean {
  return text.includes(label ? `-----BEGIN ${label}-----` : '-----BEGIN');
}

/**
 * A PEM input, `null` when empty. The runner masks line by line, so a secret
 * given as PEM text is masked a line at a time too, through `maskLine`.
 */
export function pem(
  name: string,
  raw: string,
  maskLine?: (line: string) => void,
): PemSource | null {
  if (maskLine && isArmored(raw)) {
    for (const line of raw.split(/\r?\n/)) if (line.trim()) maskLine(line.trim());
  }
  const value = raw.trim();
  return value ? { input: name, value } : null;
}
