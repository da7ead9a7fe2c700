import type { PluginType } from './config.ts';
import { ConfigError } from './errors.ts';

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
    if (pluginType === 'auth') path = path.replace(/^auth\//, '');
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

/** The YAML 1.2 booleans, as `core.getBooleanInput` reads them, with a default for an empty input. */
export function booleanInput(name: string, raw: string, fallback: boolean): boolean {
  if (raw === '') return fallback;
  if (TRUE.includes(raw)) return true;
  if (FALSE.includes(raw)) return false;
  throw new ConfigError(`${name}: "${raw}" is not a boolean; use true or false`);
}
