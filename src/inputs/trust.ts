/** How the artifact is checked: size, checksums, SHA-256, signature and attestation. */
import { ConfigError } from '../domain/errors.ts';
import { booleanInput, isArmored, oneOf } from './parse.ts';
import type { InputSource } from './source.ts';

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
  /** Deploy a binary that nothing vouches for (no checksums, `sha256`, signature or attestation). */
  allowUnverified: boolean;
  /** Whether the asset must carry a GitHub artifact attestation (build provenance). */
  attestation: AttestationMode;
  /** The workflow that must have signed the attestation; set whenever `attestation` is. */
  attestationSigner: SignerPolicy | null;
  /** Path of a trusted_root.json or trusted_root.jsonl (as `gh attestation trusted-root` writes). */
  attestationTrustedRoot: string;
}

export type AttestationMode = 'off' | 'required' | 'optional';

/** A GitHub Actions workflow, as certificates name it: `https://github.com/<workflow>@<ref>`. */
export interface SignerPolicy {
  /** `owner/repo/.github/workflows/file.yml` */
  workflow: string;
  /** A ref such as refs/tags/v1.2.3, or a prefix ending in `*`; empty for any ref. */
  ref: string;
}

/** The inputs as release.ts hands them over, the checksums template already expanded. */
type TrustInputs = Pick<InputSource, 'get'>;

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
  if (gpgPublicKey && !isArmored(gpgPublicKey, 'PGP PUBLIC KEY BLOCK')) {
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
    allowDraft: booleanInput('allow-draft', inputs.get('allow-draft'), false),
    allowUnverified: booleanInput('allow-unverified', inputs.get('allow-unverified'), false),
    ...attestationPolicy(inputs),
  };
}

const ATTESTATION_MODES: readonly Exclude<AttestationMode, 'off'>[] = ['required', 'optional'];
const SIGNER = /^([\w.-]+\/[\w.-]+\/\.github\/workflows\/[\w./-]+\.ya?ml)(?:@(\S+))?$/;

function attestationPolicy(
  inputs: TrustInputs,
): Pick<TrustPolicy, 'attestation' | 'attestationSigner' | 'attestationTrustedRoot'> {
  const raw = inputs.get('attestation').trim();
  const signer = inputs.get('attestation-signer').trim();
  const trustedRoot = inputs.get('attestation-trusted-root').trim();
  if (!raw) {
    for (const [name, value] of [
      ['attestation-signer', signer],
      ['attestation-trusted-root', trustedRoot],
    ] as const) {
      if (value) {
        throw new ConfigError(
          `${name}: given, but attestation is not set; set attestation: required or optional`,
        );
      }
    }
    return { attestation: 'off', attestationSigner: null, attestationTrustedRoot: '' };
  }
  const mode = oneOf('attestation', raw, ATTESTATION_MODES, {
    ignoreCase: true,
    listed: 'required or optional',
  });
  const match = SIGNER.exec(signer);
  if (!match?.[1]) {
    throw new ConfigError(
      `attestation-signer: ${signer ? `"${signer}" is not a workflow` : 'required with attestation'}; give the workflow that signs the release, e.g. acme/acme-secrets/.github/workflows/release.yml (optionally @refs/tags/*)`,
    );
  }
  if (!trustedRoot) {
    throw new ConfigError(
      'attestation-trusted-root: required with attestation; give the file a step before wrote with gh attestation trusted-root > "$RUNNER_TEMP/trusted_root.jsonl"',
    );
  }
  return {
    attestation: mode,
    attestationSigner: { workflow: match[1], ref: match[2] ?? '' },
    attestationTrustedRoot: trustedRoot,
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
