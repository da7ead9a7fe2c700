import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../../domain/errors.ts';

export interface SignatureVerdict {
  file: string;
  /** Fingerprint of the key that made the signature. */
  fingerprint: string;
}

/**
 * Checks a detached OpenPGP signature with the runner's `gpg` against the
 * key(s) given, in a keyring made for this check alone, so no key the runner
 * happens to trust can vouch for the file. gpg's machine-readable status is
 * the proof, never its exit code: gpg reports `VALIDSIG` for a mathematically
 * sound signature even when it also reports that the key is revoked
 * (`REVKEYSIG`) or expired (`EXPKEYSIG`) or the signature itself expired
 * (`EXPSIG`), and a gpg configured to import keys from signatures can make
 * `VALIDSIG` with a key nobody gave it.
 */
export async function verifyDetachedSignature(options: {
  publicKey: string;
  signed: { name: string; data: Buffer };
  signature: { name: string; data: Buffer };
  workDirectory: string;
}): Promise<SignatureVerdict> {
  const home = await mkdtemp(join(options.workDirectory, 'gnupg-'));
  try {
    const keyFile = join(home, 'key.asc');
    const signedFile = join(home, 'signed');
    const signatureFile = join(home, 'signature');
    await writeFile(keyFile, options.publicKey);
    await writeFile(signedFile, options.signed.data);
    await writeFile(signatureFile, options.signature.data);
    const imported = await gpg(home, ['--import', keyFile]);
    const given = new Set(statusLines(imported.status, 'IMPORT_OK').map((args) => args[1] ?? ''));
    if (given.size === 0) {
      throw new ArtifactError(
        'gpg-public-key: not an OpenPGP public key gpg can import; paste the armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----)',
      );
    }
    const checked = await gpg(home, ['--verify', signatureFile, signedFile]);
    return judge(checked.status, given, {
      signature: options.signature.name,
      signed: options.signed.name,
    });
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

/** The arguments of each `[GNUPG:] KEYWORD …` status line with that keyword. */
function statusLines(status: string, keyword: string): string[][] {
  const prefix = `[GNUPG:] ${keyword} `;
  return status
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim().split(' '));
}

/**
 * Accepts only a signature gpg calls valid with no word against it, by a key
 * (primary or subkey) of those given. VALIDSIG's last field is the primary
 * key's fingerprint, its first the key that signed, its fourth when the
 * signature expires.
 */
function judge(
  status: string,
  given: ReadonlySet<string>,
  names: { signature: string; signed: string },
): SignatureVerdict {
  const valid = statusLines(status, 'VALIDSIG');
  const against = (keyword: string): boolean => statusLines(status, keyword).length > 0;
  // The fingerprint when the signature verified, else the key id gpg names.
  const keyOf = (keyword: string): string =>
    valid[0]?.[0] ?? statusLines(status, keyword)[0]?.[0] ?? '';
  if (against('REVKEYSIG')) {
    throw new ArtifactError(
      `gpg-public-key: key ${keyOf('REVKEYSIG')} made ${names.signature}, but the key is revoked; a revoked key vouches for nothing, so ask the author which key signs their releases now`,
    );
  }
  if (against('EXPKEYSIG')) {
    throw new ArtifactError(
      `gpg-public-key: key ${keyOf('EXPKEYSIG')} made ${names.signature}, but the key has expired; give the author's current key, with its expiry renewed`,
    );
  }
  if (against('EXPSIG')) {
    const until = Number(valid[0]?.[3] ?? '');
    const when = until > 0 ? ` on ${new Date(until * 1000).toISOString().slice(0, 10)}` : '';
    throw new ArtifactError(
      `signature: ${names.signature} expired${when}; the author must sign ${names.signed} again`,
    );
  }
  if (valid.length === 0 || against('BADSIG') || against('ERRSIG')) {
    throw new ArtifactError(
      `signature: ${names.signature} is not a valid signature of ${names.signed} by the key in gpg-public-key`,
    );
  }
  for (const fields of valid) {
    const primary = fields[9] ?? fields[0] ?? '';
    if (!given.has(primary)) {
      throw new ArtifactError(
        `signature: ${names.signature} was made by key ${primary}, which is not in gpg-public-key`,
      );
    }
  }
  return { file: names.signature, fingerprint: valid[0]?.[0] ?? '' };
}

function gpg(home: string, args: string[]): Promise<{ status: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      'gpg',
      [
        '--homedir',
        home,
        '--no-autostart',
        '--batch',
        '--no-tty',
        '--status-fd',
        '1',
        '--trust-model',
        'always',
        ...args,
      ],
      { env: { PATH: process.env.PATH ?? '', GNUPGHOME: home }, timeout: 30_000 },
      (error, stdout) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new ArtifactError(
              'gpg-public-key: checking the signature needs gpg on the runner, and gpg is not on the PATH',
            ),
          );
          return;
        }
        resolve({ status: stdout });
      },
    );
  });
}
