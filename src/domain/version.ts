import { compareBuild, parse, type SemVer } from 'semver';
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

/** The server stores versions strict SemVer refuses, such as `v1.1.0-rc.01`. */
const LOOSE = { loose: true };

/**
 * Orders versions by SemVer precedence (`-alpha.2` before `-alpha.10`, a
 * pre-release before its release), then by build metadata so the order never
 * depends on how the server listed them. A catalog version SemVer cannot read
 * at all (the server also takes `v1.2.3.4`) sorts below every one it can.
 */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [readable(a), readable(b)];
  if (pa && pb) return compareBuild(pa, pb, LOOSE);
  if (pa || pb) return pa ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function readable(version: string): SemVer | null {
  return parse(version, LOOSE);
}
