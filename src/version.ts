import { ConfigError } from './errors.ts';

const SEMVER =
  /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?(-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * The server stores plugin versions in canonical `vX.Y.Z` form (`1.2` becomes
 * `v1.2.0`), so every comparison we make must use that form too.
 */
export function canonicalVersion(raw: string, inputName = 'version'): string {
  const match = SEMVER.exec(raw.trim());
  if (!match) {
    throw new ConfigError(
      `${inputName}: "${raw}" is not a semantic version; use vMAJOR.MINOR.PATCH such as v1.4.0 (a pre-release like v1.4.0-rc.1 is fine)`,
    );
  }
  const [, major, minor = '0', patch = '0', pre = '', build = ''] = match;
  if (build.startsWith('+builtin')) {
    throw new ConfigError(
      `${inputName}: "${raw}" uses "+builtin" metadata, which the server reserves for its builtin plugins`,
    );
  }
  return `v${major}.${minor}.${patch}${pre}${build}`;
}

/** `v1.2.3` → `1.2.3`, as most release asset names spell it. */
export function bareVersion(canonical: string): string {
  return canonical.replace(/^v/, '');
}

const PARTS = /^v(\d+)\.(\d+)\.(\d+)(?:-([^+]+))?/;

/**
 * Orders canonical versions as semantic versioning does: numbers first, a
 * pre-release below its release. Build metadata does not order.
 */
export function compareVersions(a: string, b: string): number {
  const pa = PARTS.exec(a);
  const pb = PARTS.exec(b);
  if (!pa || !pb) return a.localeCompare(b);
  for (let i = 1; i <= 3; i++) {
    const diff = Number(pa[i]) - Number(pb[i]);
    if (diff !== 0) return diff;
  }
  const [preA, preB] = [pa[4], pb[4]];
  if (preA === preB) return 0;
  if (preA === undefined) return 1;
  if (preB === undefined) return -1;
  return preA.localeCompare(preB, 'en', { numeric: true });
}
