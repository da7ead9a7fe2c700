// Where lab/setup.sh puts the servers and the fixture plugins.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const LAB_DIR = join(ROOT, '.lab');
export const ACTION_ENTRY = join(ROOT, 'dist', 'index.js');

/** The two servers the lab runs: OpenBao from PyPI, HashiCorp Vault community edition built from its Go module. */
export type ServerKind = 'openbao' | 'vault';
export const SERVER_KINDS: readonly ServerKind[] = ['openbao', 'vault'];

const SERVER_BIN: Record<ServerKind, string> = {
  openbao: join(LAB_DIR, 'venv', 'bin', 'bao'),
  vault: join(LAB_DIR, 'vault', 'vault'),
};

/** Where lab/setup.sh builds each server's fixture plugins, on that server's SDK. */
const FIXTURE_DIR: Record<ServerKind, string> = {
  openbao: join(LAB_DIR, 'plugins'),
  vault: join(LAB_DIR, 'vault-plugins'),
};

export type FixtureKind = 'secrets' | 'auth' | 'database' | 'broken';

/**
 * A second build of a fixture version (see FIXTURES in lab/setup.sh):
 * `republished` differs only in its bytes; `multiplexed` serves with
 * plugin.ServeMultiplex, so the server runs one process for every mount of
 * that version instead of one per mount. `''` is the standard build.
 */
export type FixtureFlavor = '' | 'republished' | 'multiplexed';

/**
 * A fixture plugin built by lab/setup.sh for one server's SDK; missing
 * means the lab was not set up, which is an error.
 */
export function fixtureBinary(
  server: ServerKind,
  kind: FixtureKind,
  version: string,
  flavor: FixtureFlavor = '',
): string {
  return labFile(join(FIXTURE_DIR[server], `${kind}-${version}${flavor ? `-${flavor}` : ''}`));
}

/** HashiCorp's own KV plugin (vault-plugin-secrets-kv), built with Vault, to override Vault's builtin kv. */
export function vaultKvPlugin(): string {
  return labFile(join(LAB_DIR, 'vault', 'vault-plugin-secrets-kv'));
}

/** The server's executable: `bao` or `vault`. */
export function serverBinary(kind: ServerKind): string {
  return labFile(SERVER_BIN[kind]);
}

function labFile(path: string): string {
  if (!existsSync(path)) {
    throw new Error(`lab file ${path} is missing; run "npm run lab" (lab/setup.sh) first`);
  }
  return path;
}
