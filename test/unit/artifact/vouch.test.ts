import { describe, expect, it } from 'vitest';
import { requireVouched } from '../../../src/artifact/vouch.ts';
import { readTrustPolicy } from '../../../src/inputs/trust.ts';

const ASSET = 'acme_1.0.1_linux_amd64.zip';
const trust = (allowUnverified: string) =>
  readTrustPolicy({ get: (name) => (name === 'allow-unverified' ? allowUnverified : '') });
const nothing = { checksums: null, pinned: false, attestation: null };

describe('what vouches for a binary', () => {
  it('takes any one of a checksums file, the sha256 input and a verified attestation', () => {
    const vouchers = [
      { ...nothing, checksums: { file: 'SHA256SUMS', covers: ['archive' as const] } },
      { ...nothing, pinned: true },
      {
        ...nothing,
        attestation: {
          status: 'verified' as const,
          signer: 'https://github.com/acme/acme/.github/workflows/release.yml@refs/tags/v1.0.1',
          predicateType: 'https://slsa.dev/provenance/v1',
          repository: 'acme/acme',
        },
      },
    ];
    for (const checks of vouchers) expect(requireVouched(ASSET, checks, trust(''))).toBe(true);
  });

  it('refuses a binary nothing vouches for, naming every way to vouch for it', () => {
    expect(() => requireVouched(ASSET, nothing, trust(''))).toThrow(
      `artifact: nothing vouches for ${ASSET}: no checksums file, no sha256, no signature and no attestation; publish a checksums file with the release or name one with checksums, give the binary's sha256, sign the checksums file and give gpg-public-key, or set attestation: required — or set allow-unverified: true to deploy it unverified`,
    );
  });

  it('counts an optional attestation that is absent as none, and says so', () => {
    const absent = {
      ...nothing,
      attestation: { status: 'absent' as const, repository: 'acme/acme' },
    };
    expect(() => requireVouched(ASSET, absent, trust('false'))).toThrow(
      'no attestation (acme/acme has none, and attestation is optional); publish',
    );
  });

  it('lets an unverified binary through only with allow-unverified: true, and says it is unverified', () => {
    expect(requireVouched(ASSET, nothing, trust('true'))).toBe(false);
  });
});
