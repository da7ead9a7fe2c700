import { withoutAuthPrefix, type PluginType } from '../domain/plugin.ts';
import { ConfigError } from '../domain/errors.ts';

export function oneOf<T extends string>(name: string, value: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(value)) {
    throw new ConfigError(`${name}: "${value}" is not one of ${valid.join(', ')}`);
  }
  return value as T;
}

export function wholeNumber(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name}: "${raw}" is not a whole number from ${min} to ${max}`);
  }
  return value;
}

/** One mount a line, `#` comments allowed, as `secrets list` and `auth list` print them. */
export function pathList(
  name: string,
  raw: string,
  pluginType: PluginType,
  required: boolean,
): string[] {
  const mounts: string[] = [];
  for (const line of raw.split(/\r?\n/)) {
    const text = line.replace(/(^|\s)#.*$/, '').trim();
    if (!text) continue;
    let path = text.replace(/^\/+|\/+$/g, '');
    if (pluginType === 'auth') path = withoutAuthPrefix(path);
    if (!path || !isSafePath(path)) {
      throw new ConfigError(
        `${name}: "${text}" is not a mount path; use paths like acme or team-a/acme, one a line`,
      );
    }
    if (mounts.includes(path)) throw new ConfigError(`${name}: "${text}" is listed twice`);
    mounts.push(path);
  }
  if (required && mounts.length === 0) {
    throw new ConfigError(
      `${name}: required, but lists no mount (write all to roll every mount of the plugin)`,
    );
  }
  return mounts;
}

export function isSafePath(path: string): boolean {
  return path
    .split('/')
    .every(
      (segment) =>
        segment !== '' && segment !== '.' && segment !== '..' && /^[^\s?#%\\]+$/.test(segment),
    );
}

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
