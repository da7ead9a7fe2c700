import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const LAB_DIR = join(ROOT, '.lab');
export const BAO_BIN = join(LAB_DIR, 'venv', 'bin', 'bao');
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js');

export type FixtureKind = 'secrets' | 'auth' | 'database' | 'broken';

/**
 * A second build of a fixture version (see FIXTURES in test/lab/setup.sh):
 * `republished` differs only in its bytes; `multiplexed` serves with
 * plugin.ServeMultiplex, so the server runs one process for every mount of
 * that version instead of one per mount. `''` is the standard build.
 */
export type FixtureFlavor = '' | 'republished' | 'multiplexed';

/** A fixture plugin built by test/lab/setup.sh; missing means the lab was not set up, which is an error. */
export function fixtureBinary(
  kind: FixtureKind,
  version: string,
  flavor: FixtureFlavor = '',
): string {
  const path = join(LAB_DIR, 'plugins', `${kind}-${version}${flavor ? `-${flavor}` : ''}`);
  if (!existsSync(path)) {
    throw new Error(`lab fixture ${path} is missing; run "npm run lab" (test/lab/setup.sh) first`);
  }
  return path;
}

export function requireBao(): string {
  if (!existsSync(BAO_BIN)) {
    throw new Error(
      `OpenBao is not installed at ${BAO_BIN}; run "npm run lab" (test/lab/setup.sh) first`,
    );
  }
  return BAO_BIN;
}
