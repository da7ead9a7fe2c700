import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactError } from '../errors.ts';

export interface SignatureVerdict {
  file: string;
  /** Fingerprint of the key that made the signature. */
  fingerprint: string;
}

/**
 * Checks a detached OpenPGP signature with the runner's `gpg` against the one
 * key given, in a keyring made for this check alone, so no key the runner
 * happens to trust can vouch for the file. `VALIDSIG` in gpg's machine-readable
 * status is the proof; its exit code alone would also accept expired keys' noise.
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
    if (!/^\[GNUPG:\] IMPORT_OK /m.test(imported.status)) {
      throw new ArtifactError(
        'gpg-public-key: not an OpenPGP public key gpg can import; paste the armored key (-----BEGIN PGP PUBLIC KEY BLOCK-----)',
      );
    }
    const checked = await gpg(home, ['--verify', signatureFile, signedFile]);
    const valid = /^\[GNUPG:\] VALIDSIG ([0-9A-F]{40,64}) /m.exec(checked.status);
    if (!valid?.[1]) {
      throw new ArtifactError(
        `signature: ${options.signature.name} is not a valid signature of ${options.signed.name} by the key in gpg-public-key`,
      );
    }
    return { file: options.signature.name, fingerprint: valid[1] };
  } finally {
    await rm(home, { recursive: true, force: true });
  }
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
