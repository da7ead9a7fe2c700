// Whether anything vouched for the binary. A binary that only came over the
// network is refused unless the workflow said, in so many words, to take it.
import { ArtifactError } from '../domain/errors.ts';
import type { TrustPolicy } from '../inputs/trust.ts';
import type { AttestationVerdict } from './trust/attestation.ts';
import type { ChecksumVerdict } from './trust/checksums.ts';

export interface Checks {
  checksums: ChecksumVerdict | null;
  /** The `sha256` input matched the binary. */
  pinned: boolean;
  attestation: AttestationVerdict | null;
}

/** A signature is only ever over a checksums file, so it vouches through the checksums verdict. */
function vouched(checks: Checks): boolean {
  return checks.checksums !== null || checks.pinned || checks.attestation?.status === 'verified';
}

const NOTHING = 'no checksums file, no sha256, no signature and no attestation';

/** The warning of a run that `allow-unverified` let go on. */
export function unverifiedWarning(asset: string): string {
  return `allow-unverified: nothing vouches for ${asset}: ${NOTHING}; allow-unverified is true, so the run goes on with it`;
}

/**
 * Stops a run that nothing vouches for, naming every way to vouch for it,
 * unless `allow-unverified` lets it go on. Returns whether the binary was
 * vouched for.
 */
export function requireVouched(
  asset: string,
  checks: Checks,
  trust: TrustPolicy,
  kind: 'asset' | 'image' = 'asset',
): boolean {
  if (vouched(checks)) return true;
  if (trust.allowUnverified) return false;
  const absent =
    checks.attestation?.status === 'absent'
      ? ` (${checks.attestation.repository} has none, and attestation is optional)`
      : '';
  const ways =
    kind === 'image'
      ? "pin the image with @sha256:DIGEST, give the binary's sha256, or set attestation: required"
      : "publish a checksums file with the release or name one with checksums, give the binary's sha256, sign the checksums file and give gpg-public-key, or set attestation: required";
  throw new ArtifactError(
    `artifact: nothing vouches for ${asset}: ${kind === 'image' ? 'a tag only, no sha256 and no attestation' : NOTHING}${absent}; ${ways} — or set allow-unverified: true to deploy it unverified`,
  );
}
