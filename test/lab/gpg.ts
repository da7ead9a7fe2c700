import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SigningKey {
  /** The armored public key, as a plugin author publishes it. */
  publicKey: string;
  /** A binary detached signature, as HashiCorp ships `<sums>.sig`. */
  sign(data: Buffer): Buffer;
  close(): void;
}

/** A throwaway OpenPGP key in its own GNUPGHOME; close() stops the agent it started. */
export function makeSigningKey(uid: string): SigningKey {
  const home = mkdtempSync(join(tmpdir(), 'lab-gpg-'));
  const gpg = (args: string[]): Buffer =>
    execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', ...args], {
      env: { PATH: process.env.PATH ?? '', GNUPGHOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
  gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const publicKey = gpg(['--armor', '--export', uid]).toString();
  return {
    publicKey,
    sign(data) {
      const input = join(home, 'to-sign');
      writeFileSync(input, data);
      gpg(['--yes', '--local-user', uid, '--output', `${input}.sig`, '--detach-sign', input]);
      return readFileSync(`${input}.sig`);
    },
    close() {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    },
  };
}
