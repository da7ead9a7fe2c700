// Throwaway OpenPGP keys, made with gpg, that sign releases as plugin authors do.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyOptions {
  /** When the key is made (gpg --faked-system-time); now by default. */
  madeAt?: Date;
  /** How long the key is valid, as gpg --quick-gen-key takes it (`1d`); for ever by default. */
  expires?: string;
  /** Sign with a separate signing subkey under a certify-only primary key, as many authors do. */
  signingSubkey?: boolean;
}

export interface SignOptions {
  /** When the signature is made (gpg --faked-system-time); now by default. */
  at?: Date;
  /** The signature's own lifetime (gpg --default-sig-expire, e.g. `1d`); for ever by default. */
  expires?: string;
  /** Carry the signer's public key inside the signature (gpg --include-key-block). */
  includeKey?: boolean;
}

export interface SigningKey {
  /** The armored public key, as a plugin author publishes it. */
  publicKey: string;
  /** The primary key's fingerprint. */
  fingerprint: string;
  /** A binary detached signature, as HashiCorp ships `<sums>.sig`. */
  sign(data: Buffer, options?: SignOptions): Buffer;
  /** Revokes the key; returns the public key with its revocation, as an author publishes it then. */
  revoke(): string;
  /** The keyring's directory, to stand in for a runner's own GNUPGHOME. */
  home: string;
  close(): void;
}

/** A throwaway OpenPGP key in its own GNUPGHOME; close() stops the agent it started. */
export function makeSigningKey(uid: string, options: KeyOptions = {}): SigningKey {
  const home = mkdtempSync(join(tmpdir(), 'lab-gpg-'));
  const gpg = (args: string[], at?: Date): Buffer =>
    execFileSync(
      'gpg',
      [
        '--homedir',
        home,
        '--batch',
        '--no-tty',
        ...(at ? ['--faked-system-time', String(Math.floor(at.getTime() / 1000))] : []),
        ...args,
      ],
      {
        env: { PATH: process.env.PATH ?? '', GNUPGHOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      },
    );
  const expires = options.expires ?? 'never';
  const usage = options.signingSubkey ? 'cert' : 'sign';
  gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', usage, expires], options.madeAt);
  const fingerprint = /^fpr:+([0-9A-F]+):/m.exec(
    gpg(['--with-colons', '--list-keys', uid]).toString(),
  )?.[1];
  if (!fingerprint) throw new Error(`gpg made no key for ${uid}`);
  if (options.signingSubkey) {
    gpg(
      ['--passphrase', '', '--quick-add-key', fingerprint, 'ed25519', 'sign', expires],
      options.madeAt,
    );
  }
  const exportPublic = (): string => gpg(['--armor', '--export', fingerprint]).toString();
  return {
    publicKey: exportPublic(),
    fingerprint,
    home,
    sign(data, how = {}) {
      const input = join(home, 'to-sign');
      writeFileSync(input, data);
      gpg(
        [
          '--yes',
          '--local-user',
          fingerprint,
          ...(how.expires ? ['--default-sig-expire', how.expires] : []),
          ...(how.includeKey ? ['--include-key-block'] : []),
          '--output',
          `${input}.sig`,
          '--detach-sign',
          input,
        ],
        how.at,
      );
      return readFileSync(`${input}.sig`);
    },
    revoke() {
      // gpg writes a revocation certificate for every key it makes, its armor
      // line prefixed with ':' so that it is not imported by accident.
      const certificate = join(home, 'openpgp-revocs.d', `${fingerprint}.rev`);
      const armored = readFileSync(certificate, 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
      writeFileSync(`${certificate}.asc`, armored);
      gpg(['--import', `${certificate}.asc`]);
      return exportPublic();
    },
    close() {
      execFileSync('gpgconf', ['--homedir', home, '--kill', 'all'], { stdio: 'ignore' });
      rmSync(home, { recursive: true, force: true });
    },
  };
}
