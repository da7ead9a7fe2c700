import { ConfigError } from './errors.ts';

/** How the artifact is to be checked, from the verification inputs. */
export interface TrustPolicy {
  /** Archive member to use as the plugin binary; empty lets the action pick. */
  binary: string;
  /** Checksums file to use instead of looking for one: asset name, URL or local path (templated). */
  checksums: string;
  /** Expected SHA-256 of the plugin binary; empty when not given. */
  sha256: string;
  /** Armored OpenPGP public key; when set, the checksums file must carry a valid signature by it. */
  gpgPublicKey: string;
  maxBytes: number;
  allowDraft: boolean;
}

export interface TrustInputs {
  get(name: string): string;
}

const DEFAULT_MAX_SIZE = '512MiB';
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

export function readTrustPolicy(inputs: TrustInputs): TrustPolicy {
  const sha256 = inputs
    .get('sha256')
    .trim()
    .toLowerCase()
    .replace(/^sha256:/, '');
  if (sha256 && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new ConfigError(
      `sha256: "${inputs.get('sha256')}" is not a SHA-256; give the plugin binary's hash as 64 hex digits`,
    );
  }
  const gpgPublicKey = inputs.get('gpg-public-key').trim();
  if (gpgPublicKey && !gpgPublicKey.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new ConfigError(
      'gpg-public-key: not an armored public key; paste the block starting with -----BEGIN PGP PUBLIC KEY BLOCK-----',
    );
  }
  const binary = inputs.get('binary').trim();
  if (binary.split('/').some((segment) => segment === '..') || binary.startsWith('/')) {
    throw new ConfigError(
      `binary: "${binary}" is not a path inside the archive; give the member's name, e.g. acme or bin/acme`,
    );
  }
  return {
    binary,
    checksums: inputs.get('checksums').trim(),
    sha256,
    gpgPublicKey,
    maxBytes: byteSize(inputs.get('max-size').trim() || DEFAULT_MAX_SIZE),
    allowDraft: booleanInput('allow-draft', inputs.get('allow-draft')),
  };
}

export function byteSize(raw: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
  const unit = UNITS[(match?.[2] ?? 'x').toLowerCase()];
  const value = match?.[1] ? Number(match[1]) * (unit ?? NaN) : NaN;
  if (!Number.isFinite(value) || value < 1) {
    throw new ConfigError(
      `max-size: "${raw}" is not a size; use bytes or a unit, e.g. 512MiB, 200MB, 1GiB`,
    );
  }
  return Math.floor(value);
}

function booleanInput(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  throw new ConfigError(`${name}: "${raw}" is not true or false`);
}
